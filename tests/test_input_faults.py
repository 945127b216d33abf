"""Hostile and odd input files: each is refused (or read) with a one-line error naming the file,
the line or key, never a traceback, a hang or a silently wrong number.

Byte-order marks, over-long TLE lines, empty selections, XML with a DTD, empty local-time lists,
planes clustering on huge catalogs, perigees below the surface, files without end (/dev/zero),
folders, unreadable files and absurd constellation or sweep sizes."""

import errno
import json
import os
import random
import time

import pytest
from conftest import CATALOG_SAMPLES, SAMPLE_TLE, read_sample

from constellation import files, scenario, sweepspec, tle
from constellation.catalog import (
    catalog_format,
    cluster_local_times,
    parse_catalog,
    parse_select,
    read_catalog,
    select_satellites,
    summarize_catalog,
    summary_text,
    write_catalog,
)
from constellation.core import Constellation, Group
from constellation.errors import CatalogError, InputError, ScenarioError
from constellation.omm import parse_omm
from constellation.scenario import load_scenario
from constellation.sweepspec import SweepError, build_configuration, load_sweep
from constellation.tle import parse_tle_text, read_tle, tle_checksum

TLE_TEXT, CSV_TEXT, JSON_TEXT, XML_TEXT, KVN_TEXT = (read_sample(CATALOG_SAMPLES[fmt])
                                                     for fmt in ("tle", "csv", "json", "xml", "kvn"))
HEADER, ROW_A, ROW_B = CSV_TEXT.split("\r\n")[:3]
_, L1, L2, _, L1B, L2B = SAMPLE_TLE.read_text().splitlines()


def _csv_edit(col, value, row=ROW_A):
    """The sample CSV with one cell of ``row`` replaced."""
    keys = HEADER.split(",")
    cells = row.split(",")
    cells[keys.index(col)] = value
    return f"{HEADER}\n{','.join(cells)}\n{ROW_B}\n"

BOM = b"\xef\xbb\xbf"
OMM = {"csv": CSV_TEXT, "json": JSON_TEXT, "xml": XML_TEXT, "kvn": KVN_TEXT}
NAMES = ["LINGQIAO VIDEO A", "LINGQIAO VIDEO B"]


def one_line(exc_info, *words):
    """The error's message: one line, holding every one of ``words``."""
    msg = str(exc_info.value)
    assert "\n" not in msg and "Traceback" not in msg, msg
    for w in words:
        assert str(w) in msg, (w, msg)
    return msg


def _fix(line):
    return line[:68] + str(tle_checksum(line))


SCENARIO = """
[scenario]
name = "faults"
[window]
start = 2026-01-01T00:00:00Z
days = 1
{group}
"""
WALKER = """
[[group]]
pattern = "walker_delta"
alt_km = 550
inclination_deg = 53
total = {total}
planes = {planes}
"""
SSO = """
[[group]]
pattern = "sso_planes"
alt_km = 535
{extra}
"""


def _scenario(tmp_path, group, name="s.toml"):
    p = tmp_path / name
    p.write_text(SCENARIO.format(group=group))
    return p


# ---------------------------------------------------------------------------
# 1. A leading UTF-8 byte-order mark is skipped


@pytest.mark.parametrize("fmt", ["tle", *OMM])
def test_byte_order_mark_is_skipped(fmt, tmp_path):
    text = TLE_TEXT if fmt == "tle" else OMM[fmt]
    p = tmp_path / f"bom.{fmt}"
    p.write_bytes(BOM + text.encode())
    assert catalog_format(p) == fmt
    assert [s.name for s in read_catalog(p).satellites] == NAMES
    assert [s.name for s in parse_catalog(BOM + text.encode(), fmt, "bom")] == NAMES
    if fmt == "tle":
        assert [s.name for s in read_tle(p).satellites] == NAMES
        assert [s.name for s in parse_tle_text("\ufeff" + text, "bom")] == NAMES
    else:  # as text (a str holding the mark) the names are kept too, not read as another column or key
        assert [s.name for s in parse_omm("\ufeff" + text, fmt, "bom")] == NAMES


def test_byte_order_mark_only_at_the_start():
    with pytest.raises(CatalogError) as err:
        parse_catalog(TLE_TEXT.encode().replace(b"LINGQIAO VIDEO B", BOM + b"LINGQIAO VIDEO B"), "tle", "mid.tle")
    assert err.value.line == 4 and err.value.field == "encoding"
    one_line(err, "mid.tle:4", "non-ASCII")
    # Non-ASCII after a leading mark: the line counts from the file's start as before.
    with pytest.raises(CatalogError) as err:
        parse_catalog(BOM + TLE_TEXT.replace("VIDEO B", "VIDÉO B").encode(), "tle", "bom.tle")
    assert err.value.line == 4


def test_scenario_with_byte_order_mark(tmp_path):
    p = tmp_path / "bom.toml"
    p.write_bytes(BOM + SCENARIO.format(group=WALKER.format(total=12, planes=3)).encode())
    assert len(load_scenario(p).constellation) == 12


# ---------------------------------------------------------------------------
# 2. Lines longer than the format allows


@pytest.mark.parametrize("text, line, field", [
    (f"A\n{L1}{'0' * 1_000_000}\n{L2}\n", 2, "TLE line 1"),
    (f"A\n{L1}\n{L2} 7\n", 3, "TLE line 2"),
    (f"A\n{L1[:68]} {L1[68]}\n{L2}\n", 2, "TLE line 1"),
    ("A" * 1_000_000 + f"\n{L1}\n{L2}\n", 1, "name line"),
    (f"{L1}\n{L2}\n{'B' * (tle.MAX_NAME_LINE + 1)}\n{L1B}\n{L2B}\n", 3, "name line"),
])
def test_over_long_lines_are_refused(text, line, field, tmp_path):
    p = tmp_path / "long.tle"
    p.write_text(text)
    for read in (read_catalog, read_tle):
        with pytest.raises(CatalogError) as err:
            read(p)
        assert err.value.line == line and err.value.field == field
        msg = one_line(err, f"{p}:{line}: {field}: ", "characters long")
        assert len(msg) < 300  # the line itself is not echoed


def test_trailing_blanks_and_longest_name_are_fine():
    name = "N" * tle.MAX_NAME_LINE
    sats = parse_tle_text(f"{name}   \r\n{L1}  \r\n{L2}\t\r\n", "ok.tle")
    assert sats[0].name == name


def test_writer_cuts_long_names_to_what_the_reader_takes(tmp_path):
    (sat,) = parse_tle_text(f"A\n{L1}\n{L2}\n")
    sat.name = "X" * 500  # e.g. a long OMM OBJECT_NAME
    out = tmp_path / "long-name.tle"
    write_catalog(Constellation("c", [Group("g", [sat])]), out)
    assert read_catalog(out).satellites[0].name == "X" * tle.MAX_NAME_LINE


# ---------------------------------------------------------------------------
# 3. An empty selection


@pytest.mark.parametrize("select", [[""], "", [","], ",", [" , ", ""], ("",)])
def test_empty_selection_is_refused(select, tmp_path):
    p = tmp_path / "two.tle"
    p.write_text(TLE_TEXT)
    with pytest.raises(CatalogError) as err:
        read_catalog(p, select=select)
    assert err.value.field == "--select"
    one_line(err, str(p), "--select", "names no satellite")
    const = read_catalog(p)
    with pytest.raises(CatalogError) as err:
        select_satellites(const, select, str(p))
    one_line(err, str(p), "names no satellite")
    with pytest.raises(CatalogError):
        parse_select(select)


def test_no_selection_keeps_everything(tmp_path):
    p = tmp_path / "two.tle"
    p.write_text(TLE_TEXT)
    const = read_catalog(p)
    assert len(read_catalog(p, select=None)) == len(read_catalog(p, select=())) == 2
    assert select_satellites(const, ()) is const and select_satellites(const, None) is const
    assert parse_select(None) == [] == parse_select([])
    with pytest.raises(CatalogError) as err:  # the file is named for a bad id range too
        select_satellites(const, ["41000-40000"], str(p))
    one_line(err, str(p), "is empty")


# ---------------------------------------------------------------------------
# 4. XML with a document type declaration (entity expansion)

LAUGHS = ('<?xml version="1.0"?>\n<!DOCTYPE ndm [\n<!ENTITY lol "lol">\n'
          + "".join(f'<!ENTITY lol{i} "{("&lol" + str(i - 1) + ";") * 10 if i > 1 else "&lol;" * 10}">\n'
                    for i in range(1, 10))
          + "]>\n<ndm><omm><body><segment><metadata><OBJECT_NAME>&lol9;</OBJECT_NAME></metadata>"
            "</segment></body></omm></ndm>\n")


@pytest.mark.parametrize("text, line", [
    (LAUGHS, 2),
    (XML_TEXT.replace("<ndm ", '<!DOCTYPE ndm SYSTEM "http://example.com/ndm.dtd">\n<ndm ', 1), 2),
    (XML_TEXT.replace("<ndm ", "<!DOCTYPE ndm>\n<ndm ", 1), 2),
])
def test_xml_with_a_dtd_is_refused(text, line, tmp_path):
    p = tmp_path / "dtd.xml"
    p.write_text(text)
    t0 = time.perf_counter()
    with pytest.raises(CatalogError) as err:
        read_catalog(p)
    assert time.perf_counter() - t0 < 5.0
    assert err.value.line == line and err.value.field == "XML"
    one_line(err, f"{p}:{line}: XML: ", "document type declaration")


def test_xml_entity_declaration_line_is_named():
    # expat calls the DOCTYPE handler first; an entity declaration could only follow it.
    with pytest.raises(CatalogError) as err:
        parse_catalog(b'<?xml version="1.0"?>\n\n<!DOCTYPE ndm [<!ENTITY a "b">]>\n<ndm/>\n', "xml", "e.xml")
    assert err.value.line == 3
    one_line(err, "e.xml:3: XML: ")


# ---------------------------------------------------------------------------
# 5, 9. Scenario sizes: no local times, absurd satellite counts


@pytest.mark.parametrize("extra, key", [
    ("ltdn_hours = []\ntotal = 12", "group[1].ltdn_hours"),
    ("ltan_hours = []\nsats_per_plane = 3", "group[1].ltan_hours"),
    ("ltdn_hours = []\nsats_per_plane = []", "group[1].ltdn_hours"),
])
def test_empty_local_time_list(extra, key, tmp_path):
    p = _scenario(tmp_path, SSO.format(extra=extra))
    with pytest.raises(ScenarioError) as err:
        load_scenario(p)
    assert err.value.field == key
    one_line(err, f"{p}: {key}: ", "at least one local time")


def test_a_walker_first_plane_given_twice_is_refused(tmp_path):
    """raan0_deg and a local time both set the first plane's RAAN: one would be ignored."""
    p = _scenario(tmp_path, WALKER.format(total=12, planes=3) + "raan0_deg = 10\nltdn_hours = [10]\n")
    with pytest.raises(ScenarioError) as err:
        load_scenario(p)
    assert err.value.field == "group[1].raan0_deg"
    one_line(err, f"{p}: group[1].raan0_deg: ", "not both")


@pytest.mark.parametrize("group, key", [
    (WALKER.format(total=10_000_000, planes=100), "group[1].total"),
    (SSO.format(extra="ltdn_hours = [10.5, 12.0]\ntotal = 10000000"), "group[1].total"),
    (SSO.format(extra="ltdn_hours = [10.5, 12.0]\nsats_per_plane = 5000000"), "group[1].sats_per_plane"),
    (SSO.format(extra="ltdn_hours = [10.5, 12.0]\nsats_per_plane = [60000, 60000]"), "group[1].sats_per_plane"),
])
def test_absurd_satellite_counts_are_refused_up_front(group, key, tmp_path):
    p = _scenario(tmp_path, group)
    t0 = time.perf_counter()
    with pytest.raises(ScenarioError) as err:
        load_scenario(p)
    assert time.perf_counter() - t0 < 2.0  # before any satellite is built
    assert err.value.field == key
    one_line(err, f"{p}: {key}: ", f"{scenario.MAX_SATELLITES:,}")


def test_satellite_cap_counts_every_group(tmp_path):
    # The first group just under the cap (built: a few seconds), the second over it.
    groups = WALKER.format(total=scenario.MAX_SATELLITES - 10, planes=10) + WALKER.format(total=20, planes=2)
    p = _scenario(tmp_path, groups)
    with pytest.raises(ScenarioError) as err:
        load_scenario(p)
    one_line(err, "group[2].total", f"with the {scenario.MAX_SATELLITES - 10} of the groups before it")


# ---------------------------------------------------------------------------
# 9. Sweeps: the [vary] product is counted before configurations are listed

SWEEP = """
[sweep]
name = "huge"
[window]
start = 2026-01-01T00:00:00Z
days = 1
[group]
pattern = "{pattern}"
alt_km = 535
inclination_deg = 97.5
{extra}
[vary]
{vary}
"""


def test_enormous_sweep_is_refused_before_listing(tmp_path):
    def values(n):
        return "[" + ", ".join(str(i + 1) for i in range(n)) + "]"

    # 12 x 25 x 30 x 12 x 25 x 40 = 108 million configurations
    vary = (f"planes = {values(12)}\nsats_per_plane = {values(25)}\nphasing = {values(30)}\n"
            f"arg_lat0_deg = {values(12)}\nraan0_deg = {values(25)}\n\"sensor.max_off_nadir_deg\" = {values(40)}")
    p = tmp_path / "huge.toml"
    p.write_text(SWEEP.format(pattern="walker_delta", extra="", vary=vary))
    t0 = time.perf_counter()
    with pytest.raises(SweepError) as err:
        load_sweep(p)
    assert time.perf_counter() - t0 < 2.0
    assert err.value.field == "vary"
    one_line(err, f"{p}: vary: ", "planes (12)", "sensor.max_off_nadir_deg (40)", "108,000,000",
             f"{sweepspec.MAX_CONFIGURATIONS:,}")


def test_sweep_within_the_cap_lists_its_configurations(tmp_path):
    p = tmp_path / "small.toml"
    p.write_text(SWEEP.format(pattern="walker_delta", extra="", vary="planes = [2, 3]\nsats_per_plane = [1, 2]"))
    assert len(load_sweep(p).configurations()) == 4


def test_sweep_with_more_planes_than_a_scenario_may_hold(tmp_path):
    p = tmp_path / "planes.toml"
    p.write_text(SWEEP.format(pattern="sso_planes", extra="ltdn_from_hours = 6\nsats_per_plane = 1",
                              vary="planes = [1000000000]").replace("inclination_deg = 97.5\n", ""))
    (conf,) = load_sweep(p).configurations()
    t0 = time.perf_counter()
    with pytest.raises(SweepError) as err:
        build_configuration(conf, str(p))
    assert time.perf_counter() - t0 < 2.0
    one_line(err, f"{p}: planes: ", f"{scenario.MAX_SATELLITES:,}")


# ---------------------------------------------------------------------------
# 6. Planes by local time on huge catalogs


def _recursive_clusters(hours, tol_hours=0.5):
    """The definition of cluster_local_times (single linkage, then splits at the widest gap), recursively."""
    from constellation.catalog import _circular_mean_hours
    n = len(hours)
    if n == 0:
        return []
    order = sorted(range(n), key=lambda i: hours[i] % 24.0)
    h = [hours[i] % 24.0 for i in order]
    gaps = [(h[(k + 1) % n] - h[k]) % 24.0 if n > 1 else 24.0 for k in range(n)]
    widest = max(range(n), key=lambda k: gaps[k])
    chains, current = [], []
    for k in [(widest + 1 + step) % n for step in range(n)]:
        current.append(k)
        if gaps[k] > tol_hours:
            chains.append(current)
            current = []
    if current:
        chains.append(current)

    def split(chain):
        inner = [gaps[k] for k in chain[:-1]]
        if not inner or sum(inner) <= 2 * tol_hours:
            return [chain]
        cut = max(range(len(inner)), key=lambda j: (inner[j], -j)) + 1
        return split(chain[:cut]) + split(chain[cut:])

    groups = [[order[k] for k in part] for chain in chains for part in split(chain)]
    return sorted(groups, key=lambda g: _circular_mean_hours([hours[i] for i in g]))


def test_cluster_local_times_matches_its_recursive_definition():
    rng = random.Random(7)
    for _ in range(400):
        n = rng.choice([1, 2, 3, 7, 30, 200])
        pick = rng.random()
        if pick < 0.3:
            hours = [rng.uniform(0, 24) for _ in range(n)]
        elif pick < 0.6:  # ties: equal gaps and equal local times
            hours = [rng.choice([0.0, 0.25, 0.5, 0.75, 1.0, 10.0, 10.5, 11.0, 23.75]) for _ in range(n)]
        else:
            c = rng.uniform(0, 24)
            hours = [(c + rng.gauss(0, 1.5)) % 24 for _ in range(n)]
        tol = rng.choice([0.0, 0.1, 0.125, 0.25, 0.5, 1.0])
        assert cluster_local_times(hours, tol) == _recursive_clusters(hours, tol), (hours, tol)
    for hours in ([24.0 * i / 500 for i in range(500)], [i / 2**5 for i in range(700)]):
        assert cluster_local_times(hours) == _recursive_clusters(hours)


@pytest.mark.parametrize("hours", [[24.0 * i / 50_000 for i in range(50_000)],  # evenly spaced
                                   [i / 2**11 for i in range(50_000)]])  # exactly equal gaps
def test_cluster_local_times_on_50000_satellites(hours):
    t0 = time.perf_counter()
    groups = cluster_local_times(hours, 0.5)
    assert time.perf_counter() - t0 < 20.0
    assert sorted(i for g in groups for i in g) == list(range(len(hours)))
    for g in groups:
        h = sorted(hours[i] % 24.0 for i in g)
        assert h[-1] - h[0] <= 1.0 + 1e-9 or (h[-1] - h[0]) > 23.0  # within 2 tol (or across midnight)


# ---------------------------------------------------------------------------
# 7. A perigee below the Earth's surface


def _tle_with_mean_motion(rev_per_day):
    l2 = _fix(L2[:52] + f"{rev_per_day:11.8f}" + L2[63:])
    return f"LOW\n{L1}\n{l2}\n"


def test_tle_perigee_below_the_surface_is_refused(tmp_path):
    p = tmp_path / "low.tle"
    p.write_text(_tle_with_mean_motion(17.0))
    with pytest.raises(CatalogError) as err:
        read_catalog(p)
    assert err.value.line == 3 and err.value.field == "mean motion"
    one_line(err, f"{p}:3: mean motion: ", "below the Earth's surface", "17 rev/day")
    parse_tle_text(_tle_with_mean_motion(16.5), "ok.tle")  # perigee ~125 km: read


@pytest.mark.parametrize("fmt", list(OMM))
def test_omm_perigee_below_the_surface_is_refused(fmt):
    if fmt == "csv":
        text = _csv_edit("MEAN_MOTION", "17.0", ROW_A)
    else:
        text = OMM[fmt].replace("14.76849388", "17.0", 1)
    with pytest.raises(CatalogError) as err:
        parse_catalog(text.encode(), fmt, f"low.{fmt}")
    assert err.value.field == "MEAN_MOTION"
    line = next(i for i, ln in enumerate(text.splitlines(), 1) if "17.0" in ln)
    assert err.value.line == line
    one_line(err, f"low.{fmt}:{line}: MEAN_MOTION: ", "below the Earth's surface", "LINGQIAO VIDEO A")


def test_catalog_command_names_the_low_perigee(tmp_path):
    from click.testing import CliRunner

    from cli import main
    p = tmp_path / "low.tle"
    p.write_text(_tle_with_mean_motion(17.0))
    r = CliRunner().invoke(main, ["catalog", str(p)])
    assert r.exit_code != 0 and "Traceback" not in r.output
    assert f"{p}:3: mean motion: perigee" in r.output and "-4--4" not in r.output


def test_summary_text_never_prints_a_double_minus():
    (sat,) = parse_tle_text(f"A\n{L1}\n{L2}\n")
    s = summarize_catalog(Constellation("c", [Group("g", [sat])]))
    s = json.loads(json.dumps(s))
    for k in ("mean_alt_km", "perigee_alt_km", "apogee_alt_km"):
        s[k] = {"min": -4.0, "mean": -3.9, "max": -3.6}
    text = summary_text(s)
    assert "--" not in text and "-4 to -4 km" in text
    assert "-4--4" not in text


# ---------------------------------------------------------------------------
# 8. Files without end, too large, folders, unreadable and non-UTF-8 files


def test_dev_zero_is_refused_at_the_cap():
    if not os.path.exists("/dev/zero"):
        pytest.skip("no /dev/zero")
    for read in (read_catalog, read_tle, catalog_format):
        with pytest.raises(CatalogError) as err:
            read("/dev/zero")
        one_line(err, "/dev/zero: ", "larger than 256 MiB")
    with pytest.raises(ScenarioError) as err:
        load_scenario("/dev/zero")
    one_line(err, "/dev/zero: ", "larger than 16 MiB", "scenario file")
    with pytest.raises(SweepError) as err:
        load_sweep("/dev/zero")
    one_line(err, "/dev/zero: ", "larger than 16 MiB", "sweep file")


def test_files_over_the_cap_are_refused_unread(tmp_path):
    big = tmp_path / "big.tle"
    with open(big, "wb") as f:  # sparse: no disk used
        f.truncate(files.MAX_CATALOG_BYTES + 1)
    with pytest.raises(CatalogError) as err:
        read_catalog(big)
    one_line(err, str(big), "larger than 256 MiB")
    toml = tmp_path / "big.toml"
    with open(toml, "wb") as f:
        f.truncate(files.MAX_TOML_BYTES + 1)
    with pytest.raises(ScenarioError) as err:
        load_scenario(toml)
    one_line(err, str(toml), "larger than 16 MiB")


def test_read_limited_reads_up_to_the_cap_from_a_stream(tmp_path):
    r, w = os.pipe()
    os.write(w, b"x" * 1000)
    os.close(w)
    try:
        assert files.read_limited(f"/dev/fd/{r}", 1000, InputError) == b"x" * 1000
    finally:
        os.close(r)
    p = tmp_path / "f"
    p.write_bytes(b"y" * 1001)
    with pytest.raises(InputError, match="larger than 1000 bytes"):
        files.read_limited(p, 1000, InputError)
    assert files.read_limited(p, 1001, InputError) == b"y" * 1001


def test_a_folder_is_not_a_file(tmp_path):
    for read in (read_catalog, read_tle, catalog_format):
        with pytest.raises(CatalogError) as err:
            read(tmp_path)
        one_line(err, str(tmp_path), "is a directory")
    with pytest.raises(ScenarioError) as err:
        load_scenario(tmp_path)
    one_line(err, str(tmp_path), "is a directory")
    with pytest.raises(SweepError) as err:
        load_sweep(tmp_path)
    one_line(err, str(tmp_path), "is a directory")


@pytest.mark.parametrize("exc, words", [(PermissionError(errno.EACCES, "Permission denied"), "permission denied"),
                                        (OSError(errno.EIO, "Input/output error"), "Input/output error")])
def test_unreadable_files(exc, words, tmp_path, monkeypatch):
    p = tmp_path / "locked.tle"
    p.write_text(TLE_TEXT)
    s = _scenario(tmp_path, WALKER.format(total=12, planes=3))

    def refuse(*args, **kwargs):
        raise exc

    monkeypatch.setattr(files, "open", refuse, raising=False)
    for read, error, path in ((read_catalog, CatalogError, p), (read_tle, CatalogError, p),
                              (load_scenario, ScenarioError, s), (load_sweep, SweepError, s)):
        with pytest.raises(error) as err:
            read(path)
        one_line(err, str(path), "cannot read the file", words)


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() == 0, reason="root reads any file")
def test_permission_denied_for_real(tmp_path):
    p = tmp_path / "locked.tle"
    p.write_text(TLE_TEXT)
    p.chmod(0)
    with pytest.raises(CatalogError) as err:
        read_catalog(p)
    one_line(err, str(p), "permission denied")


def test_non_utf8_scenario_names_the_line(tmp_path):
    p = tmp_path / "latin.toml"
    p.write_bytes(SCENARIO.format(group=WALKER.format(total=12, planes=3)).replace(
        'name = "faults"', 'name = "fa\xefults"').encode("latin-1"))
    with pytest.raises(ScenarioError) as err:
        load_scenario(p)
    assert err.value.line == 3 and err.value.field == "encoding"
    one_line(err, f"{p}:3: encoding: ", "not a UTF-8 text file")

