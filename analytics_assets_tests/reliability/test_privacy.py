"""No personal data in anything derived from raw data, and the masking it relies on.

The end-to-end test runs every daily asset for one day of `PiiDemoSource` (personal data in
`inputs` and pasted into queries) with a real translator (the LibreTranslate stand-in, which
echoes what it gets, so an unmasked text would come back), on a SQLite instance in a temporary
folder, then searches every derived Parquet file, every HTML report, every MongoDB collection
of the test database, everything the run logged and every byte of the instance's storage.
"""

from __future__ import annotations

import json
import threading
from pathlib import Path

import polars as pl
import pytest
from dagster import (
    AssetKey,
    DagsterInstance,
    DailyPartitionsDefinition,
    load_asset_checks_from_modules,
    load_assets_from_modules,
    materialize,
)

from analytics_assets.definitions import ASSET_MODULES, defs
from analytics_assets.defs.translation.resource import TranslatorResource
from analytics_assets.privacy import KEY_FILE, PATTERNS, mask_pii
from analytics_assets.resources import build_resources
from analytics_assets.settings import Settings
from analytics_assets.storage.parquet import LakeIOManager
from analytics_assets_tests.fixtures.translation_servers import LibreTranslateServer
from analytics_assets_tests.reliability.pii_day import CARD, CUSTOMERS, PII_VALUES, PiiDemoSource

DAY = "2026-11-03"
RAW_ASSETS = ("raw_conversations", "raw_messages")

# One example per documented pattern and country (docs/reliability.md lists the same).
MASKED = {
    "TH account": ("โอนเข้า 123-4-56789-0 ค่ะ", "[account]"),
    "TH mobile": ("โทร 081-234-5678", "[phone]"),
    "TH Bangkok line": ("02-123-4567", "[phone]"),
    "TH international": ("+66 81 234 5678", "[phone]"),
    "DE IBAN": ("IBAN DE89 3704 0044 0532 0130 00 bitte", "[account]"),
    "DE IBAN compact": ("DE89370400440532013000", "[account]"),
    "DE phone": ("Tel. 030 1234567", "[phone]"),
    "DE mobile": ("0171 1234567", "[phone]"),
    "DE international": ("+49 (0)30 1234567", "[phone]"),
    "ES IBAN": ("ES91 2100 0418 4502 0005 1332", "[account]"),
    "ES CCC": ("2100 0418 45 0200051332", "[account]"),
    "ES mobile": ("llámame al 612 345 678", "[phone]"),
    "ES landline": ("912 34 56 78", "[phone]"),
    "FR IBAN": ("FR14 2004 1010 0505 0001 3M02 606", "[account]"),
    "FR phone": ("06 12 34 56 78", "[phone]"),
    "FR international": ("+33 6 12 34 56 78", "[phone]"),
    "BR IBAN": ("BR15 0000 0000 0000 1093 2840 814P 2", "[account]"),
    "BR conta": ("conta 12345-6", "[account]"),
    "BR mobile": ("(11) 91234-5678", "[phone]"),
    "BR international": ("+55 11 91234-5678", "[phone]"),
    "UK IBAN": ("GB29 NWBK 6016 1331 9268 19", "[account]"),
    "UK sort code": ("sort code 20-00-00", "[account]"),
    "UK account": ("account 55779911", "[number]"),
    "UK landline": ("020 7946 0958", "[phone]"),
    "UK mobile": ("07700 900123", "[phone]"),
    "UK international": ("+44 20 7946 0958", "[phone]"),
    "US phone": ("(415) 555-2671", "[phone]"),
    "US phone dashes": ("415-555-2671", "[phone]"),
    "US international": ("+1 (415) 555-2671", "[phone]"),
    "US account": ("acct 4400187733", "[number]"),
    "card spaced": ("card 4539 1488 0343 6467 expired", "[card]"),
    "card dashes": ("4539-1488-0343-6467", "[card]"),
    "card compact": ("4539148803436467", "[card]"),
    "e-mail": ("write to somchai.jaidee@example.co.th now", "[email]"),
}


@pytest.mark.parametrize("case", sorted(MASKED))
def test_each_documented_format_is_masked(case: str) -> None:
    text, placeholder = MASKED[case]
    masked = mask_pii(text)
    assert placeholder in masked, (case, masked)
    digits = "".join(ch for ch in masked if ch.isdigit())
    assert len(digits) < 5, (case, masked)  # nothing of the number is left


@pytest.mark.parametrize(
    "text",
    [
        "on 2026-11-03 at 10:00 I paid 1,234.56 THB, ref 42",
        "Wie lange dauert eine Auszahlung? 3 Tage?",
        "version 1.2.3, error 404, 25 % off",
        "",
    ],
)
def test_ordinary_text_is_left_alone(text: str) -> None:
    assert mask_pii(text) == text


def test_null_stays_null_and_patterns_are_documented() -> None:
    assert mask_pii(None) is None
    doc = (Path(__file__).resolve().parents[2] / "docs" / "reliability.md").read_text()
    for name, _, _ in PATTERNS:
        assert f"`{name}`" in doc, f"pattern {name} is not documented"


def test_configured_key_wins_and_a_missing_one_is_generated_once(tmp_path: Path) -> None:
    assert Settings(PSEUDONYM_KEY="mine", ANALYTICS_DATA_DIR=str(tmp_path)).pseudonym_key == "mine"
    assert not (tmp_path / KEY_FILE).exists()
    first = Settings(ANALYTICS_DATA_DIR=str(tmp_path / "a"))
    keys: list[str] = []
    threads = [threading.Thread(target=lambda: keys.append(first.pseudonym_key)) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(set(keys)) == 1 and len(keys[0]) == 64  # racing processes agree on one key
    assert (tmp_path / "a" / KEY_FILE).stat().st_mode & 0o077 == 0  # readable by owner only
    other = Settings(ANALYTICS_DATA_DIR=str(tmp_path / "b")).pseudonym_key
    assert other != keys[0]  # two installations never share a key


def _daily_keys() -> list[AssetKey]:
    graph = defs.resolve_asset_graph()
    return [
        k
        for k in graph.materializable_asset_keys
        if isinstance(graph.get(k).partitions_def, DailyPartitionsDefinition)
    ]


def _found(text: str, values: list[str]) -> list[str]:
    return [v for v in values if v in text]


@pytest.mark.slow
def test_personal_data_reaches_nothing_derived(
    tmp_path: Path,
    mongo_resource,
    libretranslate_server: LibreTranslateServer,
    capfd: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    lake = tmp_path / "lake"
    source = PiiDemoSource(seed=11, messages_per_day=120, include_malformed=True)
    resources = build_resources() | {
        "io_manager": LakeIOManager(base_path=str(lake)),
        "source": source,
        "mongo": mongo_resource,
        "translator": TranslatorResource(
            translator="libretranslate", url=libretranslate_server.url
        ),
    }
    caplog.set_level("INFO")
    home = tmp_path / "home"
    home.mkdir()
    with DagsterInstance.local_temp(str(home)) as instance:
        result = materialize(
            [
                *load_assets_from_modules(ASSET_MODULES),
                *load_asset_checks_from_modules(ASSET_MODULES),
            ],
            selection=_daily_keys(),
            instance=instance,
            partition_key=DAY,
            resources=resources,
        )
        assert result.success
        events = [entry.to_json() for entry in instance.all_logs(result.run_id)]

    # The day really carried the data in, and it was really translated (else this proves
    # nothing): raw storage keeps it, translations exist for the pasted queries.
    raw = pl.read_parquet(lake / "raw_messages" / f"date={DAY}" / "part-0.parquet")
    assert _found(" ".join(raw["query"].drop_nulls()), PII_VALUES)
    assert _found(" ".join(raw["inputs"].drop_nulls()), PII_VALUES)
    translated = pl.read_parquet(lake / "translated_messages" / f"date={DAY}" / "part-0.parquet")
    pasted = translated.filter(pl.col("query_translated").str.contains(r"\[(account|email)\]"))
    assert pasted.height >= 10, translated["query_translated"].head(10).to_list()
    assert libretranslate_server.requests, "the translator was never called"
    users = raw["from_end_user_id"].drop_nulls().unique().to_list()
    assert users

    leaks: dict[str, list[str]] = {}
    searched = PII_VALUES + users
    files = [p for p in lake.rglob("*") if p.is_file()]
    derived = [p for p in files if p.relative_to(lake).parts[0] not in RAW_ASSETS]
    assert any(p.suffix == ".html" for p in derived) and any(
        p.suffix == ".parquet" for p in derived
    )
    for path in derived:
        if path.suffix == ".parquet":
            text = json.dumps(pl.read_parquet(path).to_dicts(), default=str, ensure_ascii=False)
        else:
            text = path.read_text(encoding="utf-8", errors="replace")
        if hits := _found(text, searched):
            leaks[str(path.relative_to(lake))] = hits
    db = mongo_resource.db()
    for name in db.list_collection_names():
        docs = json.dumps(list(db[name].find()), default=str, ensure_ascii=False)
        if hits := _found(docs, searched):
            leaks[f"mongo {name}"] = hits
    # What the translator was sent leaves the machine: masked before it was sent.
    sent = json.dumps(libretranslate_server.requests, default=str, ensure_ascii=False)
    if hits := _found(sent, PII_VALUES):
        leaks["translator requests"] = hits
    captured = capfd.readouterr()
    logs = captured.out + captured.err + "\n".join(r.getMessage() for r in caplog.records)
    if hits := _found(logs, searched):
        leaks["log lines"] = hits
    for i, event in enumerate(events):
        if hits := _found(event, searched):
            at = event.find(hits[0])
            leaks[f"event log entry {i}: {event[max(0, at - 1500) : at + 100]}"] = hits[:2]
    storage = b"".join(p.read_bytes() for p in home.rglob("*") if p.is_file())
    if hits := [v for v in searched if v.encode() in storage]:
        leaks["instance storage"] = hits
    assert not leaks, leaks
    assert CUSTOMERS and CARD in PII_VALUES  # the values searched are the ones the day carried
