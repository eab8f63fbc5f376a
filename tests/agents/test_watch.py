import json

from agents.watch import ReadingsTable


def test_table_from_retained_topics():
    table = ReadingsTable("perch")
    meta = {"quantities": {"temperature": {"unit": "°C"}, "humidity": {"unit": "%"}}}
    table.update("perch/shed/climate/meta", json.dumps(meta).encode(), now=0)
    table.update("perch/shed/climate/temperature", b"21.4", now=100)
    table.update("perch/shed/climate/humidity", b"48", now=100)
    table.update("perch/shed/climate/status", b"ok", now=100)
    table.update("perch/shed/climate", b'{"temperature": 21.4}', now=100)  # JSON state: not a row
    table.update("perch/shed/fan/set", b"ON", now=100)  # a command: not a reading
    table.update("perch/shed/status", b"online", now=100)
    table.update("other/shed/x/y", b"1", now=100)
    assert table.rows(now=103) == [
        ["shed", "climate", "humidity", "48", "%", "3s", "ok"],
        ["shed", "climate", "temperature", "21.4", "°C", "3s", "ok"],
    ]
    text = table.render(now=103)
    assert text.splitlines()[0].split() == ["NODE", "AGENT", "QUANTITY", "VALUE", "UNIT", "AGE", "STATUS"]
    assert text.splitlines()[-1] == "nodes: shed online"


def test_cleared_topics_leave_the_table():
    table = ReadingsTable("perch")
    table.update("perch/n/gone/count", b"3", now=0)
    table.update("perch/n/gone/count", b"", now=1)
    assert table.rows(now=2) == []


def test_bad_meta_is_ignored():
    table = ReadingsTable("perch")
    table.update("perch/n/a/meta", b"{not json", now=0)
    table.update("perch/n/a/v", b"1", now=0)
    assert table.rows(now=0) == [["n", "a", "v", "1", "", "0s", ""]]


def test_age_counts_from_the_reading_timestamp():
    table = ReadingsTable("perch")
    table.update("perch/n/a", b'{"v": 1, "timestamp": "1970-01-01T00:01:40.000Z"}', now=160)
    table.update("perch/n/a/v", b"1", now=160)
    assert table.rows(now=170)[0][5] == "70s"  # read at 100 s, retained copy received at 160 s


def test_compact_view_has_one_row_per_agent():
    table = ReadingsTable("perch")
    table.update("perch/n/climate/meta", b'{"quantities": {"temperature": {"unit": "C"}}}', now=0)
    table.update("perch/n/climate/temperature", b"21.4", now=10)
    table.update("perch/n/climate/humidity", b"48", now=12)
    table.update("perch/n/climate/status", b"ok", now=12)
    lines = table.render_compact(now=14).splitlines()
    assert lines[0].split() == ["NODE", "AGENT", "STATUS", "AGE", "READINGS"]
    assert lines[1].split() == ["n", "climate", "ok", "2s", "humidity", "48", "temperature", "21.4", "C"]
    assert all(len(line) <= 20 for line in table.render_compact(now=14, width=20).splitlines())
