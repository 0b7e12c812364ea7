"""`categorized_messages` materialized for real: the Parquet IO manager on a temp folder and the
embedded MongoDB (`conversation_categories`, written downstream by
`serving_conversation_categories`). The upstream `raw_messages` partition comes from
a small asset of the same key returning fixed rows in `RAW_MESSAGES_SCHEMA` (ingestion has its
own tests)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import polars as pl
import pytest
from dagster import BackfillPolicy, DagsterInstance, asset, materialize

from analytics_assets.defs.categorization.assets import categorized_messages
from analytics_assets.defs.categorization.resource import ScoringResource
from analytics_assets.defs.serving.assets import serving_conversation_categories
from analytics_assets.partitions import DAILY_PARTITIONS
from analytics_assets.privacy import pseudonym
from analytics_assets.schemas import CATEGORIZED_SCHEMA, RAW_MESSAGES_SCHEMA, conform
from analytics_assets.settings import get_settings
from analytics_assets.storage.mongo import MongoResource
from analytics_assets.storage.mongo.collections import CONVERSATION_CATEGORIES
from analytics_assets.storage.parquet import LakeIOManager

DAY = "2025-03-04"
# (conversation, query, answer)
TURNS = [
    ("conv-th", "สวัสดีครับ ถอนเงินไม่ได้ครับ", "ขออภัยค่ะ กรุณาแจ้งเลขที่รายการถอนค่ะ"),
    ("conv-th", "รอนานมาก แย่มาก", "ขออภัยในความไม่สะดวกค่ะ"),
    ("conv-en", "How much does the premium plan cost?", "The premium plan costs 9 USD a month."),
    ("conv-en", "Great, thanks a lot!", "You're welcome, have a nice day!"),
    (
        "conv-de",
        "Hallo, ich kann mich nicht in mein Konto einloggen",
        "Bitte setzen Sie Ihr Passwort zurück.",
    ),
    (
        "conv-es",
        "¿Cómo puedo borrar mis datos personales?",
        "Puede solicitarlo en ajustes de privacidad.",
    ),
    ("conv-fr", "L'application plante encore, c'est nul", "Désolé, nous corrigeons ce bug."),
    ("conv-en", "", None),
]


def raw_frame(day: str = DAY) -> pl.DataFrame:
    n = len(TURNS)
    start = datetime.fromisoformat(day).replace(hour=9, tzinfo=UTC)
    frame = pl.DataFrame(
        {
            "id": [f"{day}-m{i}" for i in range(n)],
            "app_id": ["app-1"] * n,
            "model_id": ["chatgpt-4o-latest"] * n,
            "conversation_id": [f"{c}-{day}" for c, _, _ in TURNS],
            "query": [q for _, q, _ in TURNS],
            "answer": [a for _, _, a in TURNS],
            "created_at": [start + timedelta(minutes=i) for i in range(n)],
            "from_end_user_id": [f"user-{c}" for c, _, _ in TURNS],
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
    """Stands where ingestion's raw_messages stands (context unannotated on purpose)."""
    return pl.concat([raw_frame(day) for day in context.partition_keys])


def _run(mongo: MongoResource, lake: Path, **kwargs):  # type: ignore[no-untyped-def]
    with DagsterInstance.ephemeral() as instance:
        return materialize(
            [raw_messages, categorized_messages, serving_conversation_categories],
            instance=instance,
            resources={
                "io_manager": LakeIOManager(base_path=str(lake)),
                "mongo": mongo,
                # The rules pinned: these label assertions are the rules' (the packaged
                # learned layer is tested in engine/test_learned.py and benchmarks/).
                "scoring": ScoringResource(device="cpu", weights_path="none"),
            },
            **kwargs,
        )


def test_materializes_labels_and_conversation_categories(
    mongo_resource: MongoResource, tmp_path: Path
) -> None:
    lake = tmp_path / "lake"
    result = _run(mongo_resource, lake, partition_key=DAY)
    assert result.success
    out: pl.DataFrame = result.output_for_node("categorized_messages")
    assert out.schema == CATEGORIZED_SCHEMA
    assert out.height == len(TURNS)
    assert out["message_id"].to_list() == [f"{DAY}-m{i}" for i in range(len(TURNS))]
    rows = {r["message_id"]: r for r in out.iter_rows(named=True)}
    assert rows[f"{DAY}-m0"]["topic"] == "payments"
    assert rows[f"{DAY}-m0"]["language"] == "th"
    assert rows[f"{DAY}-m1"]["sentiment"] == "negative"
    assert rows[f"{DAY}-m2"]["topic"] == "pricing"
    assert rows[f"{DAY}-m2"]["intent"] == "question"
    assert rows[f"{DAY}-m3"]["sentiment"] == "positive"
    assert rows[f"{DAY}-m3"]["intent"] == "gratitude"
    assert rows[f"{DAY}-m4"]["topic"] == "account"
    assert rows[f"{DAY}-m5"]["topic"] == "data_privacy"
    assert rows[f"{DAY}-m6"]["topic"] == "technical_issue"
    assert rows[f"{DAY}-m6"]["sentiment"] == "negative"
    # The empty query / missing answer still get labels.
    assert rows[f"{DAY}-m7"]["sentiment"] == "neutral"
    assert rows[f"{DAY}-m7"]["answer_sentiment"] == "neutral"
    # Pseudonymous user key, never the raw id.
    key = get_settings().pseudonym_key
    assert rows[f"{DAY}-m0"]["user_key"] == pseudonym("user-conv-th", key)
    assert "from_end_user_id" not in out.columns

    checks = {c.check_name: c.passed for c in result.get_asset_check_evaluations()}
    assert checks == {
        "unique_message_ids": True,
        "covers_raw_messages": True,
        "labels_valid": True,
        "partition_documents_complete": True,
    }
    (event,) = result.asset_materializations_for_node("categorized_messages")
    meta = {k: v.value for k, v in event.metadata.items()}
    assert meta["device"].startswith("cpu")
    assert meta["messages"] == len(TURNS)
    assert "| payments |" in meta["topic_distribution"]
    stored = pl.read_parquet(next((lake / "categorized_messages").rglob("*.parquet")))
    assert stored.height == len(TURNS)

    coll = mongo_resource.db()[CONVERSATION_CATEGORIES]
    docs = {d["category_id"]: d for d in coll.find({"partition": DAY})}
    conv = f"conv-th-{DAY}"
    assert f"{conv}_topic_payments" in docs
    assert docs[f"{conv}_sentiment_negative"]["created_by"] == "system"
    assert docs[f"{conv}_sentiment_negative"]["conversation_id"] == conv
    assert 0.0 <= docs[f"{conv}_topic_payments"]["confidence_score"] <= 1.0
    en = f"conv-en-{DAY}"
    assert f"{en}_topic_pricing" in docs
    # Exactly one dominant intent and one overall sentiment per conversation.
    for c in {d["conversation_id"] for d in docs.values()}:
        kinds = [d["category_type"] for d in docs.values() if d["conversation_id"] == c]
        assert kinds.count("intent") == 1 and kinds.count("sentiment") == 1
    first_count = len(docs)

    # Re-materializing replaces the partition: same documents, no duplicates.
    again = _run(mongo_resource, lake, partition_key=DAY)
    assert again.success
    assert coll.count_documents({"partition": DAY}) == first_count


def test_a_range_backfill_is_one_run_with_per_day_documents(
    mongo_resource: MongoResource, tmp_path: Path
) -> None:
    days = ["2025-03-05", "2025-03-06"]
    result = _run(
        mongo_resource,
        tmp_path / "lake",
        tags={
            "dagster/asset_partition_range_start": days[0],
            "dagster/asset_partition_range_end": days[1],
        },
    )
    assert result.success
    assert result.output_for_node("categorized_messages").height == 2 * len(TURNS)
    coll = mongo_resource.db()[CONVERSATION_CATEGORIES]
    for day in days:
        partition_convs = coll.distinct("conversation_id", {"partition": day})
        assert partition_convs and all(c.endswith(day) for c in partition_convs)


def test_resource_from_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SCORING_DEVICE", "cpu")
    monkeypatch.setenv("SCORING_BATCH_SIZE", "512")
    resource = ScoringResource.from_settings()
    assert (resource.device, resource.batch_size, resource.weights_path) == ("cpu", 512, "")
    assert resource.categorizer().device_name.startswith("cpu")
    monkeypatch.setenv("SCORING_DEVICE", "quantum")
    with pytest.raises(ValueError, match="SCORING_DEVICE"):
        ScoringResource.from_settings()
