"""The two text edits the build makes: a line in config.txt or /etc/modules, and kernel arguments."""

from __future__ import annotations

from image.apply import add_kernel_arguments, set_line

CONFIG_TXT = "# comment\n#dtparam=i2c_arm=on\ndtparam=audio=on\n\n[cm4]\notg_mode=1\n\n[all]\narm_64bit=1\n"


def test_commented_line_is_enabled_in_place() -> None:
    result = set_line(CONFIG_TXT, "dtparam=i2c_arm=on", key="dtparam=i2c_arm")
    assert result.splitlines()[1] == "dtparam=i2c_arm=on"
    assert result.count("i2c_arm") == 1


def test_off_value_is_switched_on() -> None:
    result = set_line("dtparam=spi=off\n", "dtparam=spi=on", key="dtparam=spi")
    assert result == "dtparam=spi=on\n"


def test_new_line_goes_under_all_not_under_a_model_filter() -> None:
    text = "dtparam=audio=on\n[pi4]\ndtoverlay=vc4-kms-v3d\n"
    result = set_line(text, "dtoverlay=w1-gpio", key="dtoverlay=w1-gpio")
    assert result.splitlines()[-2:] == ["[all]", "dtoverlay=w1-gpio"]
    assert set_line(CONFIG_TXT, "dtoverlay=w1-gpio", key="dtoverlay=w1-gpio").endswith(
        "arm_64bit=1\ndtoverlay=w1-gpio\n"
    )


def test_setting_twice_changes_nothing() -> None:
    once = set_line(CONFIG_TXT, "dtoverlay=w1-gpio", key="dtoverlay=w1-gpio")
    assert set_line(once, "dtoverlay=w1-gpio", key="dtoverlay=w1-gpio") == once


def test_modules_line_is_appended_once() -> None:
    modules = set_line("# /etc/modules\n", "i2c-dev", key="i2c-dev")
    assert modules == "# /etc/modules\ni2c-dev\n"
    assert set_line(modules, "i2c-dev", key="i2c-dev") == modules


def test_kernel_arguments_stay_on_one_line_and_replace_their_namesakes() -> None:
    cmdline = "console=tty1 root=PARTUUID=5e3da7a1-02 rootwait ds=nocloud;i=old\n"
    result = add_kernel_arguments(cmdline, ["ds=nocloud;i=new", "quiet"])
    assert result == "console=tty1 root=PARTUUID=5e3da7a1-02 rootwait ds=nocloud;i=new quiet\n"
    assert add_kernel_arguments(result, ["ds=nocloud;i=new", "quiet"]) == result
