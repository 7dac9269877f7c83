"""The CLI verbs speak the language of --lang (French here) and English without it; what a server
wrote and the machine words (queue names, --json) stay as they are."""

from __future__ import annotations

import io
import json
import re
from collections.abc import Iterator

import pytest

from synctui import i18n
from synctui.cli import main
from synctui.model import Category, EntryDetail, EntryPage, QueueEntry, QueueKind, Rejection, Setting

from .cli_fake_agent import FakeAgent, now

REJECTED = Rejection(Category.FIX_DATA, "birth date in the future", advice="Fix the record, then retry")
ENTRY = QueueEntry("e1", QueueKind.CONFLICTS, "Patient", "update", now(), attempts=3, rejection=REJECTED)


@pytest.fixture(autouse=True)
def english_after() -> Iterator[None]:
    yield
    i18n.use("en")


def test_queue_speaks_french_with_lang_fr(monkeypatch, capsys):
    page = EntryPage([ENTRY, ENTRY], offset=0, limit=50, total=2)
    detail = EntryDetail(ENTRY, '{"birthDate": "2031-01-01"}', truncated=True)
    FakeAgent(entries=page, entry=detail).install(monkeypatch)

    assert main(["queue", "ls", "clinic", "conflicts", "--lang", "fr"]) == 0
    assert main(["queue", "show", "clinic", "conflicts", "e1", "--lang", "fr"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("conflicts\xa0: entrées 1 à 2 sur 2\n"), out
    assert "essais 3" in out
    assert "Rejeté\xa0: birth date in the future" in out
    assert "Que faire\xa0: Fix the record, then retry" in out
    assert out.rstrip().endswith("… (tronqué)")
    assert main(["queue", "retry", "clinic", "--lang", "fr"]) == 2
    assert capsys.readouterr().err.strip() == "synctui: indiquez des identifiants d'entrées ou --all"

    i18n.use("en")
    assert main(["queue", "ls", "clinic", "conflicts"]) == 0
    assert main(["queue", "show", "clinic", "conflicts", "e1"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("conflicts: entries 1–2 of 2\n"), out
    assert "Rejected: birth date in the future" in out
    assert out.rstrip().endswith("… (truncated)")


def test_reset_resubmit_and_settings_speak_french_with_lang_fr(monkeypatch, capsys):
    settings = [Setting("sync.interval", "Sync interval", "300", editable=False)]
    FakeAgent(settings=settings).install(monkeypatch)

    assert main(["settings", "clinic", "--lang", "fr"]) == 0
    assert "Sync interval  (lecture seule)" in capsys.readouterr().out
    assert main(["reset", "clinic", "--lang", "fr"]) == 2
    assert capsys.readouterr().err.strip() == "synctui: indiquez des clés du journal de synchro ou --all"
    assert main(["settings", "clinic", "interval", "--lang", "fr"]) == 2
    assert capsys.readouterr().err.strip() == "synctui: 'interval' n'est pas de la forme KEY=VALUE"

    i18n.use("en")
    assert main(["settings", "clinic"]) == 0
    assert "Sync interval  (read-only)" in capsys.readouterr().out
    assert main(["reset", "clinic"]) == 2
    assert capsys.readouterr().err.strip() == "synctui: give sync-log keys or --all"


def test_audit_archive_and_plugins_speak_french_with_lang_fr(monkeypatch, capsys):
    refused = {"time": "2026-11-30T10:00:00", "user": "ana", "backend": "clinic", "action": "reset-all"}
    refused |= {"phase": "refused", "result": {"ok": False, "status": 403, "message": "read-only"}}
    archived = {"archive_id": "a1", "time": "2026-11-30T09:00:00", "backend": "clinic", "queue": "outbox"}
    archived |= {"user": "ana", "restored": "2026-11-30T11:00:00", "entry": {"record_type": "Patient"}}
    FakeAgent(audit=[refused], archive=[archived]).install(monkeypatch)

    assert main(["audit", "--lang", "fr"]) == 0
    assert "→ REFUSÉ (403)\u00a0: read-only" in capsys.readouterr().out
    assert main(["archive", "ls", "--lang", "fr"]) == 0
    assert "par ana  (restaurée le 2026-11-30T11:00:00)" in capsys.readouterr().out
    assert main(["plugins", "--lang", "fr"]) == 0
    assert "systèmes\xa0: santedb" in capsys.readouterr().out
    assert main(["plugins", "--options", "santedb", "--lang", "fr"]) == 0
    assert capsys.readouterr().out.split()[:5] == ["option", "type", "défaut", "secret", "signification"]

    i18n.use("en")
    assert main(["audit"]) == 0
    assert "→ REFUSED (403): read-only" in capsys.readouterr().out
    assert main(["archive", "ls"]) == 0
    assert "by ana  (restored 2026-11-30T11:00:00)" in capsys.readouterr().out


def test_audit_names_the_action_and_its_phase_as_a_person_would_and_json_keeps_the_keys(monkeypatch, capsys):
    """ "discard after" was the audit file's words; the JSON output keeps them."""
    done = {"time": "2026-11-30T10:00:00", "user": "ana", "backend": "clinic", "action": "discard"}
    done |= {"phase": "after", "target": ["c-1"], "result": {"ok": True, "counts": {"done": 1}}}
    FakeAgent(audit=[done]).install(monkeypatch)

    assert main(["audit", "--lang", "fr"]) == 0
    assert " Garder la version du serveur terminée → " in capsys.readouterr().out
    i18n.use("en")
    assert main(["audit"]) == 0
    out = capsys.readouterr().out
    assert " Leave Server Version ended → 1 discarded" in out
    assert not re.search(r"\b(discard|after)\b", out), out
    assert main(["audit", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)[0] | {} == done


def test_archive_names_the_queue_as_the_dashboard_does(monkeypatch, capsys):
    archived = {"archive_id": "a1", "time": "2026-11-30T09:00:00", "backend": "clinic", "queue": "conflicts"}
    archived |= {"user": "ana", "entry": {"record_type": "Patient", "operation": "Insert"}}
    FakeAgent(archive=[archived]).install(monkeypatch)

    assert main(["archive", "ls", "--lang", "fr"]) == 0
    assert "  clinic  Conflits  Patient Insert" in capsys.readouterr().out
    i18n.use("en")
    assert main(["archive", "ls"]) == 0
    assert "  clinic  Conflicts  Patient Insert" in capsys.readouterr().out


def test_help_and_argument_errors_speak_the_language_chosen_before_parsing(monkeypatch, capsys):
    """--lang (before or after the verb) and the locale are read before the parser is built."""
    monkeypatch.setenv("COLUMNS", "400")  # one line per option, whatever the terminal
    with pytest.raises(SystemExit):
        main(["--lang", "fr", "--help"])
    out = capsys.readouterr().out
    assert "Tout ce qui a été saisi sur cet appareil est-il bien arrivé sur le serveur\u202f?" in out
    assert "Synchroniser maintenant, attendre et juger le résultat" in out
    with pytest.raises(SystemExit):
        main(["resubmit", "clinic", "--since", "hier", "--until", "2026-11-02", "--lang", "fr"])
    assert "'hier' n'est pas une date comme 2026-11-01" in capsys.readouterr().err

    for variable in i18n.LOCALE_VARIABLES:
        monkeypatch.delenv(variable, raising=False)
    monkeypatch.setenv("LANG", "pt_MZ.UTF-8")
    with pytest.raises(SystemExit):
        main(["queue", "--help"])
    assert "uma página de uma fila" in capsys.readouterr().out
    with pytest.raises(SystemExit):
        main(["--help"])
    assert "listar, mostrar, tentar de novo ou descartar entradas da fila" in capsys.readouterr().out

    monkeypatch.delenv("LANG")
    with pytest.raises(SystemExit):
        main(["--help"])
    out = capsys.readouterr().out
    assert "Is everything recorded on this device safely on the server?" in out
    assert "Synchronize Now, wait, and judge the result" in out


def test_refusals_and_confirmations_of_changes_speak_french_with_lang_fr(monkeypatch, capsys):
    fake = FakeAgent().install(monkeypatch)
    assert main(["--readonly", "queue", "retry", "clinic", "--all", "--yes", "--lang", "fr"]) == 4
    refused = capsys.readouterr().err.strip()
    assert (
        refused
        == "synctui: Action «\xa0Remettre les conflits en file\xa0» refusée\xa0: lecture seule (--readonly). Rien n'a été envoyé."
    )
    monkeypatch.setattr("sys.stdin.isatty", lambda: False)
    assert main(["reset", "clinic", "--all", "--lang", "fr"]) == 2
    err = capsys.readouterr().err
    assert "tous les marqueurs de synchronisation\xa0: non confirmé (lancez avec --yes" in err
    assert fake.changes == []

    i18n.use("en")
    assert main(["--readonly", "queue", "retry", "clinic", "--all", "--yes"]) == 4
    assert "Re-Queue Conflicted refused: read-only (--readonly)" in capsys.readouterr().err


def test_a_broken_config_still_shows_help_and_its_lang_is_read_before_parsing(tmp_path, capsys):
    broken = tmp_path / "broken.toml"
    broken.write_text('lang = "klingon"\n', encoding="utf-8")
    assert main(["--config", str(broken), "status"]) == 2
    assert "lang must be one of en, fr, pt, sw" in capsys.readouterr().err
    with pytest.raises(SystemExit) as help_exit:
        main(["--config", str(broken), "--help"])
    assert help_exit.value.code == 0

    french = tmp_path / "french.toml"
    french.write_text('lang = "fr"\n', encoding="utf-8")
    with pytest.raises(SystemExit):
        main(["--help", "--config", str(french)])
    assert "Tout ce qui a été saisi sur cet appareil" in capsys.readouterr().out


def test_set_pin_fleet_new_plugin_bug_report_and_open_speak_french_with_lang_fr(
    monkeypatch, capsys, tmp_path
):
    """Their refusals and results in French; what is typed or read by a machine (option names, the
    config line, --json) stays as it is."""
    monkeypatch.setattr("sys.stdin", io.StringIO("12\n"))
    assert main(["set-pin", "--lang", "fr"]) == 2
    assert capsys.readouterr().err.strip() == "synctui: utilisez au moins 4 caractères"
    monkeypatch.setattr("sys.stdin", io.StringIO("4321\n"))
    assert main(["set-pin", "--lang", "fr"]) == 0
    out = capsys.readouterr().out
    assert out.startswith('admin_pin_hash = "') and out.rstrip().endswith(
        "# à mettre sous [agent] dans la configuration"
    )
    assert main(["fleet", "gate", "--prometheus", "http://x", "--label", "site", "--lang", "fr"]) == 2
    assert "synctui: --label attend NOM=VALEUR" in capsys.readouterr().err
    assert main(["fleet", "--json", "--lang", "fr"]) == 2
    assert "--prometheus URL est obligatoire" in capsys.readouterr().err
    assert main(["new-plugin", "santedb", "--lang", "fr"]) == 2
    assert "'santedb' est un type que synctui a déjà" in capsys.readouterr().err
    assert main(["new-plugin", "acme", "--dir", str(tmp_path), "--lang", "fr"]) == 0
    assert capsys.readouterr().out.startswith(f"{tmp_path / 'synctui-acme'} écrit (")
    assert main(["bug-report", "--exclude", "pictures", "--lang", "fr"]) == 2
    assert "synctui: --exclude: partie inconnue 'pictures'\u202f; parties\xa0: " in capsys.readouterr().err
    missing = tmp_path / "nothing.tar.gz"
    assert main(["open", str(missing), "--lang", "fr"]) == 1
    assert (
        f"{missing} n'est pas un paquet de support lisible\xa0: impossible de le lire"
        in capsys.readouterr().err
    )

    i18n.use("en")
    monkeypatch.setattr("sys.stdin", io.StringIO("4321\n"))
    assert main(["set-pin"]) == 0
    assert capsys.readouterr().out.rstrip().endswith("# put this under [agent] in the config")
    assert main(["fleet", "--json"]) == 2
    assert "--prometheus URL is required" in capsys.readouterr().err
    assert main(["open", str(missing)]) == 1
    assert f"{missing} is not a readable support bundle: cannot read it" in capsys.readouterr().err
