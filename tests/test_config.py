"""Configuration: SPEC section 6 defaults, refusals that name the key and the fix."""

from __future__ import annotations

import re
from datetime import datetime
from pathlib import Path

import pytest

from automation import config
from automation.config import ConfigError

ROOT = Path(__file__).resolve().parent.parent


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_the_example_config_loads_with_the_spec_defaults():
    cfg = config.load(ROOT / "config.example.toml")
    assert cfg.timezone == "Asia/Makassar" and cfg.poll_interval_seconds == 30
    assert cfg.agenda.worksheet == "Buku Agenda"
    assert cfg.approval.columns == ("Paraf Kadis", "Paraf Kabid")
    assert cfg.archive.klasifikasi == "400.14.5.6" and cfg.archive.unit == "DKISP"
    assert cfg.sla.step_minutes == 7 and cfg.media.max_file_mb == 200


def test_notify_roles_follow_the_approval_columns(tmp_path):
    cfg = config.load(write(tmp_path, "[approval]\ncolumns = ['Paraf Kadis', 'Paraf Sekdis']\n"
                                      "[notify.recipients]\nsekdis = ['telegram:42']\n"
                                      "[notify.petugas]\n'Rahmawati' = ['wa:0812']\n"))
    assert cfg.notify.recipients == {"sekdis": ("telegram:42",)}
    assert cfg.notify.channels_used() == {"telegram", "wa"}
    friday, saturday = datetime(2026, 11, 27, 9, 0), datetime(2026, 11, 28, 9, 0)
    assert cfg.notify.hours.open_at(friday) and not cfg.notify.hours.open_at(saturday)
    assert not cfg.notify.hours.open_at(friday.replace(hour=16))


def test_an_empty_file_means_all_defaults_and_paths_resolve_beside_it(tmp_path):
    cfg = config.load(write(tmp_path, ""))
    assert cfg.agenda.path == tmp_path / "buku_agenda.xlsx"
    assert cfg.state_dir == tmp_path / "state"
    assert cfg.media.base_dir == tmp_path / "media"
    assert cfg.website.output_dir == tmp_path / "site"
    assert cfg.agenda.news_types == config.DEFAULT_NEWS_TYPES


@pytest.mark.parametrize("text, words", [
    ("colour = 1", "unknown key 'colour'"),
    ("[agenda]\nbackned = 'xlsx'", "unknown key 'agenda.backned'"),
    ("[webiste]\nurl = ''", "unknown table '[webiste]'"),
    ("poll_interval_seconds = '30'", "'poll_interval_seconds' must be a whole number"),
    ("poll_interval_seconds = 0", "'poll_interval_seconds' must be greater than 0"),
    ("poll_interval_seconds = true", "'poll_interval_seconds' must be a whole number"),
    ("timezone = 'WITA'", "'timezone' is not a known time zone"),
    ("[agenda]\nbackend = 'excel'", "'agenda.backend' must be one of \"xlsx\", \"google\""),
    ("[agenda]\nnews_types = []", "'agenda.news_types' must not be empty"),
    ("[agenda]\nnews_types = ['A', 'a']", "'agenda.news_types' lists the same value twice"),
    ("[agenda]\nagenda_number_format = '{no}/{tahun}'", "unknown placeholder {no}"),
    ("[archive]\nnumber_format = '{nomor:04q}'", "'archive.number_format' is not a valid format"),
    ("[website]\nurl = 'diskominfo.go.id'", "'website.url' must start with http"),
    ("[website]\npost_status = 'published'", "'website.post_status' must be one of"),
    ("[website.categories]\n'Berita Daerah' = 'Berita'", "not in agenda.news_types"),
    ("[approval]\neditors = { 'Paraf Sekda' = ['a@b.id'] }", "not in approval.columns"),
    ("[approval]\neditors = { 'Paraf Kadis' = ['kadis'] }", "must list e-mail addresses"),
    ("[agenda]\nbackend = 'google'", "'agenda.spreadsheet_id' is empty"),
    ("[website]\nbackend = 'wordpress'", "'website.url' is empty"),
    ("[sla]\nstep_minutes = -7", "'sla.step_minutes' must be greater than 0"),
    ("[notify]\noffice_hours = '16:00-08:00'", "'notify.office_hours' must be two times of day"),
    ("[notify]\noffice_hours = '8 pagi'", "'notify.office_hours' must be two times of day"),
    ("[notify]\noffice_days = ['Monday']", "'notify.office_days' names unknown days"),
    ("[notify.telegram]\ntoken = 'x'", "unknown key 'notify.telegram.token'"),
    ("[notify.telegram]\nbot_token_env = '123:ABC-def'", "must be an environment variable name"),
    ("[notify.email]\nsecurity = 'tls'", "'notify.email.security' must be one of"),
    ("[notify.recipients]\nbos = ['wa:0812']", "names role 'bos'; use one of: admin, kabid, kadis"),
    ("[notify.recipients]\nkadis = ['sms:0812']", "write channel:address with channel telegram"),
    ("[notify.recipients]\nkadis = 'wa:0812'", "must list addresses in quotes"),
    ("[notify.recipients]\nkasi = ['email:kasi']", "is not an e-mail address"),
    ("[notify.recipients]\nkasi = ['email:kasi@x.go.id']", "'notify.email.host' or 'notify.email.sender'"),
    ("[notify]\nrecipients = 'admin'", "'notify.recipients' must be a table"),
    ("timezone = ", "is not valid TOML"),
])
def test_mistakes_are_refused_with_the_key_and_the_fix(tmp_path, text, words):
    with pytest.raises(ConfigError) as err:
        config.load(write(tmp_path, text))
    assert words in str(err.value)


def test_a_missing_file_says_how_to_make_one(tmp_path):
    with pytest.raises(ConfigError, match="copy config.example.toml"):
        config.load(tmp_path / "nope.toml")


def test_custom_approvals_and_tick_words(tmp_path):
    cfg = config.load(write(tmp_path, "[approval]\ncolumns = ['Paraf Kadis', 'Paraf Kabid', "
                                      "'Paraf Sekdis']\n[agenda]\ntick_words = ['OK', 'Sah']"))
    assert cfg.approval.columns[-1] == "Paraf Sekdis"
    assert cfg.agenda.tick_words == ("ok", "sah")


def test_every_mistake_in_a_file_is_reported_at_once_with_its_key_path(tmp_path):
    with pytest.raises(ConfigError) as err:
        config.load(write(tmp_path, "[agenda]\nbackend = 'excel'\n"
                                    "[sla]\nstep_minutes = 0\n"
                                    "[notify.recipients]\nkadis = ['sms:0812']\n"))
    keys = ("agenda.backend", "sla.step_minutes", "notify.recipients.kadis")
    assert [p.key for p in err.value.problems] == list(keys)
    first, *lines = str(err.value).splitlines()
    assert first.endswith("config.toml: 3 problems:")
    assert len(lines) == 3 and all(f"'{k}'" in line for k, line in zip(keys, lines))


def test_a_rule_across_keys_waits_for_the_keys_it_reads(tmp_path):
    # news_types is refused, so whether a category names one of them is not guessed at.
    with pytest.raises(ConfigError) as err:
        config.load(write(tmp_path, "[agenda]\nnews_types = []\n"
                                    "[website.categories]\n'Berita Daerah' = 'Berita'\n"))
    assert [p.key for p in err.value.problems] == ["agenda.news_types"]


def test_a_pasted_secret_is_never_repeated_and_never_accepted(tmp_path):
    with pytest.raises(ConfigError) as err:
        config.load(write(tmp_path, "[notify.telegram]\nbot_token_env = '123:ABC-def'\n"
                                    "[website]\npassword = 'rahasia'\n"))
    assert "123:ABC-def" not in str(err.value) and "rahasia" not in str(err.value)
    assert "environment variable that 'website.password_env' names" in str(err.value)


def test_the_committed_example_is_generated_from_the_declared_keys():
    committed = (ROOT / "config.example.toml").read_text(encoding="utf-8")
    assert committed == config.example_toml(), \
        "config.example.toml is out of date; run `make config-example`"


def test_the_generated_example_loads_and_gives_the_defaults(tmp_path):
    path = write(tmp_path, config.example_toml())
    assert config.load(path) == config.parse({}, tmp_path, source=path)
    assert config.main([str(tmp_path / "again.toml")]) == 0
    assert (tmp_path / "again.toml").read_text(encoding="utf-8") == config.example_toml()


def test_the_commented_out_examples_are_valid_keys(tmp_path):
    # `# editors = ...`, `# ca_file = ...` and the entries under [website.categories],
    # [notify.recipients] and [notify.petugas], switched on: they load once a mail server is set.
    text = re.sub(r'(?m)^# ((?:\w+|"[^"]+") = )', r"\1", config.example_toml())
    with pytest.raises(ConfigError) as err:
        config.load(write(tmp_path, text))
    assert [p.key for p in err.value.problems] == ["notify.email"]     # host and sender are empty
    text = text.replace('host = ""', 'host = "mail.kaltaraprov.go.id"', 1).replace(
        'sender = ""', 'sender = "humas@kaltaraprov.go.id"', 1)
    cfg = config.load(write(tmp_path, text))
    assert cfg.approval.editors["Paraf Kadis"] == ("kadis@example.go.id",)
    assert cfg.website.categories == {"Siaran Pers": "Berita"}
    assert cfg.notify.email.ca_file == tmp_path / "office-ca.pem"
    assert set(cfg.notify.recipients) == {"kadis", "kabid", "kasi", "petugas", "admin"}
    assert cfg.notify.petugas == {"Rahmawati": ("wa:081298765432",)}
