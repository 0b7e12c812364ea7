"""`translated_messages` materialized for real: the Parquet IO manager on a temp folder, the
embedded MongoDB (cache + processing_errors), and a local LibreTranslate stand-in that counts
every request. The upstream `raw_messages` partition is written by a small asset of the same
key that returns fixed rows in `RAW_MESSAGES_SCHEMA` (ingestion has its own tests)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import polars as pl
import pytest
from dagster import BackfillPolicy, DagsterInstance, asset, materialize

from analytics_assets.defs.translation.assets import translated_messages
from analytics_assets.defs.translation.pipeline import TRANSLATED_MESSAGES_SCHEMA
from analytics_assets.defs.translation.resource import TranslatorResource
from analytics_assets.partitions import DAILY_PARTITIONS
from analytics_assets.schemas import RAW_MESSAGES_SCHEMA, conform
from analytics_assets.storage.mongo import MongoResource
from analytics_assets.storage.mongo.collections import (
    CONVERSATION_TRANSLATIONS,
    PROCESSING_ERRORS,
)
from analytics_assets.storage.parquet import LakeIOManager
from analytics_assets_tests.fixtures.translation_servers import LibreTranslateServer

DAY = "2025-03-04"
TURNS = [
    ("สวัสดีค่ะ อยากทราบวิธีถอนเงินค่ะ", "สวัสดีค่ะ คุณสามารถถอนเงินได้ที่เมนูกระเป๋าเงินค่ะ"),
    ("How can I withdraw my winnings?", "Open the wallet menu and choose Withdraw."),
    ("Wie lange dauert eine Auszahlung?", "Auszahlungen dauern in der Regel einen Werktag."),
    ("¿Cuánto tarda un retiro?", "Los retiros suelen tardar un día hábil."),
    ("Combien de temps prend un retrait ?", "Un retrait prend généralement un jour ouvré."),
    ("出金にはどのくらい時間がかかりますか？", "通常、出金は1営業日で完了します。"),
    ("สวัสดีค่ะ อยากทราบวิธีถอนเงินค่ะ", "How can I help you with the withdrawal?"),
    ("ok", "Is there anything else I can help you with?"),
    ("12345", ""),
]


def raw_frame(day: str = DAY) -> pl.DataFrame:
    n = len(TURNS)
    start = datetime.fromisoformat(day).replace(hour=10, tzinfo=UTC)
    frame = pl.DataFrame(
        {
            "id": [f"{day}-msg-{i}" if day != DAY else f"msg-{i}" for i in range(n)],
            "app_id": ["app-1"] * n,
            "conversation_id": [f"conv-{i % 3}" for i in range(n)],
            "query": [q for q, _ in TURNS],
            "answer": [a for _, a in TURNS],
            "created_at": [start + timedelta(minutes=i) for i in range(n)],
            "from_end_user_id": ["user-1"] * n,
        }
    )
    return conform(frame, RAW_MESSAGES_SCHEMA)


@asset(
    name="raw_messages",
    partitions_def=DAILY_PARTITIONS,
    backfill_policy=BackfillPolicy.single_run(),
    metadata={"partition_expr": "created_at"},
)
def raw_messages(context) -> pl.DataFrame:  # type: ignore[no-untyped-def]
    """Stands where ingestion's raw_messages stands: each day's rows in RAW_MESSAGES_SCHEMA.

    `context` is unannotated: with postponed annotations Dagster rejects the string hint.
    """
    return pl.concat([raw_frame(day) for day in context.partition_keys])


def _materialize(assets, mongo, translator, lake, instance):  # type: ignore[no-untyped-def]
    return materialize(
        assets,
        partition_key=DAY,
        instance=instance,
        resources={
            "io_manager": LakeIOManager(base_path=str(lake)),
            "mongo": mongo,
            "translator": translator,
        },
    )


def _output(result) -> pl.DataFrame:  # type: ignore[no-untyped-def]
    return result.output_for_node("translated_messages")


def _metadata(result) -> dict:  # type: ignore[no-untyped-def]
    (event,) = result.asset_materializations_for_node("translated_messages")
    return {k: v.value for k, v in event.metadata.items()}


def test_without_configuration_languages_are_detected_and_nothing_is_sent(
    mongo_resource: MongoResource, tmp_path: Path
) -> None:
    with DagsterInstance.ephemeral() as instance:
        result = _materialize(
            [raw_messages, translated_messages],
            mongo_resource,
            TranslatorResource(),
            tmp_path / "lake",
            instance,
        )
    assert result.success
    out = _output(result)
    assert out.schema == TRANSLATED_MESSAGES_SCHEMA
    assert out.height == len(TURNS)
    assert out["language"].to_list() == ["th", "en", "de", "es", "fr", "ja", "th", "en", "unknown"]
    assert set(out["translation_status"]) == {"not_configured", "same_language", "skipped"}
    assert out.filter(pl.col("language") == "en")["translation_status"].unique().to_list() == [
        "same_language"
    ]
    assert set(out["backend"]) == {"none"}
    meta = _metadata(result)
    assert "| th | 2 |" in meta["by_language"]
    assert meta["characters_sent"] == 0 and meta["requests"] == 0
    assert mongo_resource.db()[CONVERSATION_TRANSLATIONS].count_documents({}) == 0
    stored = pl.read_parquet(next((tmp_path / "lake" / "translated_messages").rglob("*.parquet")))
    assert stored.height == len(TURNS)


def test_translates_caches_and_a_rerun_sends_nothing(
    mongo_resource: MongoResource,
    libretranslate_server: LibreTranslateServer,
    tmp_path: Path,
) -> None:
    translator = TranslatorResource(translator="libretranslate", url=libretranslate_server.url)
    lake = tmp_path / "lake"
    with DagsterInstance.ephemeral() as instance:
        first = _materialize(
            [raw_messages, translated_messages], mongo_resource, translator, lake, instance
        )
        assert first.success
        out = _output(first)
        thai = out.filter(pl.col("message_id") == "msg-0").row(0, named=True)
        assert thai["translation_status"] == "translated"
        assert thai["query_translated"] == f"[en] {TURNS[0][0]}"
        assert thai["answer_translated"] == f"[en] {TURNS[0][1]}"
        assert thai["backend"] == "libretranslate" and thai["target_language"] == "en"
        sent = libretranslate_server.texts_sent
        assert len(sent) == len(set(sent)) == 10  # 5 non-English turns x 2, the repeat once
        cached = mongo_resource.db()[CONVERSATION_TRANSLATIONS].count_documents({})
        assert cached == 10
        assert _metadata(first)["characters_sent"] == sum(len(t) for t in sent)

        requests_before = len(libretranslate_server.requests)
        second = _materialize(
            [raw_messages.to_source_asset(), translated_messages],
            mongo_resource,
            translator,
            lake,
            instance,
        )
    assert second.success
    assert len(libretranslate_server.requests) == requests_before  # not one request
    again = _output(second)
    translated = again.filter(pl.col("language").is_in(["th", "de", "es", "fr", "ja"]))
    assert set(translated["translation_status"]) == {"cached"}
    assert again["query_translated"].to_list() == out["query_translated"].to_list()
    meta = _metadata(second)
    assert meta["cached"] == 6 and meta["translated"] == 0 and meta["characters_sent"] == 0


def test_budget_exhausted_rows_go_to_processing_errors_and_the_retry_resolves_them(
    mongo_resource: MongoResource,
    libretranslate_server: LibreTranslateServer,
    tmp_path: Path,
) -> None:
    lake = tmp_path / "lake"
    errors = mongo_resource.db()[PROCESSING_ERRORS]
    with DagsterInstance.ephemeral() as instance:
        tight = TranslatorResource(
            translator="libretranslate", url=libretranslate_server.url, budget_chars=60
        )
        first = _materialize(
            [raw_messages, translated_messages], mongo_resource, tight, lake, instance
        )
        assert first.success  # the partition completes
        out = _output(first)
        exhausted = set(
            out.filter(pl.col("translation_status") == "budget_exhausted")["message_id"]
        )
        assert exhausted
        assert sum(len(t) for t in libretranslate_server.texts_sent) <= 60
        open_errors = list(
            errors.find({"asset": "translated_messages", "partition": DAY, "status": "open"})
        )
        assert {e["record_id"] for e in open_errors} == exhausted
        assert {e["reason"] for e in open_errors} == {"translation_budget_exhausted"}
        assert all(e["stage"] == "translation" for e in open_errors)

        roomy = TranslatorResource(translator="libretranslate", url=libretranslate_server.url)
        second = _materialize(
            [raw_messages.to_source_asset(), translated_messages],
            mongo_resource,
            roomy,
            lake,
            instance,
        )
    assert second.success
    assert "budget_exhausted" not in _output(second)["translation_status"].to_list()
    assert errors.count_documents({"asset": "translated_messages", "status": "open"}) == 0
    sent = libretranslate_server.texts_sent
    assert len(sent) == len(set(sent))  # what the first run paid for was not sent again


def test_a_range_backfill_is_one_run_with_one_budget_and_per_day_partitions(
    mongo_resource: MongoResource,
    libretranslate_server: LibreTranslateServer,
    tmp_path: Path,
) -> None:
    days = ["2025-03-05", "2025-03-06"]
    lake = tmp_path / "lake"
    translator = TranslatorResource(
        translator="libretranslate", url=libretranslate_server.url, budget_chars=400
    )
    with DagsterInstance.ephemeral() as instance:
        result = materialize(
            [raw_messages, translated_messages],
            instance=instance,
            tags={
                "dagster/asset_partition_range_start": days[0],
                "dagster/asset_partition_range_end": days[1],
            },
            resources={
                "io_manager": LakeIOManager(base_path=str(lake)),
                "mongo": mongo_resource,
                "translator": translator,
            },
        )
    assert result.success
    out = _output(result)
    assert out.height == 2 * len(TURNS)
    # Both days hold the same texts: deduplicated across the run's days, sent once, and the
    # run's one budget covers both days.
    assert sum(len(t) for t in libretranslate_server.texts_sent) <= 400
    assert len(libretranslate_server.texts_sent) == len(set(libretranslate_server.texts_sent))
    for day in days:
        stored = pl.read_parquet(next((lake / "translated_messages").glob(f"*{day}*/*.parquet")))
        assert stored.height == len(TURNS)
        assert stored["created_at"].dt.strftime("%Y-%m-%d").unique().to_list() == [day]
    recorded = mongo_resource.db()[PROCESSING_ERRORS].distinct(
        "partition", {"asset": "translated_messages", "status": "open"}
    )
    assert set(recorded) <= set(days)


def test_resource_from_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TRANSLATOR", "LibreTranslate")
    monkeypatch.setenv("TRANSLATOR_URL", "http://translate.internal:5000")
    monkeypatch.setenv("TRANSLATOR_API_KEY", "k-123")
    monkeypatch.setenv("TRANSLATION_BUDGET_CHARS", "5000")
    monkeypatch.setenv("TRANSLATION_TARGET_LANGUAGE", "de")
    resource = TranslatorResource.from_settings()
    assert resource.translator == "libretranslate"
    assert resource.budget_chars == 5000 and resource.target_language == "de"
    with resource.open_run() as session:
        assert session.translator.backend_id == "libretranslate"
        assert session.engine is not None and session.engine.budget.max_chars == 5000
    monkeypatch.setenv("TRANSLATOR", "bing")
    with pytest.raises(ValueError, match="TRANSLATOR must be one of"):
        TranslatorResource.from_settings().build_translator()
    monkeypatch.setenv("TRANSLATOR", "openai")
    monkeypatch.delenv("TRANSLATOR_MODEL", raising=False)
    with pytest.raises(ValueError, match="TRANSLATOR_MODEL"):
        TranslatorResource.from_settings().build_translator()
