#!/bin/sh
# A stand-in for Raspberry Pi OS's raspi-config, for test Pis: only the `nonint` interface functions Perch
# uses, with raspi-config's conventions (get_X prints 0 when enabled, 1 when not; do_X 0 enables) and its
# effects on /boot/firmware/config.txt and /etc/modules. Every call is logged to /var/log/raspi-config.calls.
set -eu
echo "$*" >> /var/log/raspi-config.calls
CONFIG=/boot/firmware/config.txt
[ "$1" = nonint ] || { echo "only nonint is emulated" >&2; exit 2; }
case "$2" in
    *_i2c) line=dtparam=i2c_arm=on ;;
    *_spi) line=dtparam=spi=on ;;
    *_onewire) line=dtoverlay=w1-gpio ;;
    *) echo "unknown function $2" >&2; exit 2 ;;
esac
case "$2" in
    get_*) if grep -qxF "$line" "$CONFIG"; then echo 0; else echo 1; fi ;;
    do_*)
        [ "${3:-}" = 0 ] || { echo "only enabling is emulated" >&2; exit 2; }
        grep -qxF "$line" "$CONFIG" || echo "$line" >> "$CONFIG"
        if [ "$2" = do_i2c ] && ! grep -qxF i2c-dev /etc/modules; then echo i2c-dev >> /etc/modules; fi ;;
esac
