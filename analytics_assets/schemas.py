"""Explicit Polars schemas of the source tables and the error records.

Two shapes per source table:

* the *wire* schema is what a source hands over (the demo generator and the NocoDB client
  alike): timestamps still as the strings Dify/NocoDB write (`YYYY-MM-DD HH:MM:SS+00:00`),
  JSON columns as JSON text, numbers typed. Parsing happens once, in `ingestion.normalize`.
* the *raw* schema is what `raw_conversations` / `raw_messages` store: the same columns with
  timestamps parsed into UTC datetimes. Column names are Dify's, unchanged.

Nothing here is inferred: every frame that crosses a module boundary is cast to one of these.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import polars as pl

UTC_TS = pl.Datetime("us", "UTC")

# Dify `conversations` table (reference/seed-domain.md, section 1).
CONVERSATION_COLUMNS: dict[str, pl.DataType] = {
    "id": pl.String(),
    "app_id": pl.String(),
    "app_model_config_id": pl.String(),
    "model_provider": pl.String(),
    "model_id": pl.String(),
    "override_model_configs": pl.String(),  # JSON text
    "mode": pl.String(),
    "name": pl.String(),
    "summary": pl.String(),
    "inputs": pl.String(),  # JSON text, carries PII: kept in raw storage only
    "introduction": pl.String(),
    "system_instruction": pl.String(),
    "system_instruction_tokens": pl.Int64(),
    "status": pl.String(),
    "from_source": pl.String(),
    "from_end_user_id": pl.String(),
    "from_account_id": pl.String(),
    "read_at": pl.String(),  # timestamp
    "read_account_id": pl.String(),
    "created_at": pl.String(),  # timestamp
    "updated_at": pl.String(),  # timestamp
    "is_deleted": pl.Boolean(),
    "invoke_from": pl.String(),
    "dialogue_count": pl.Int64(),
}

# Dify `messages` table: one row is one turn (user `query` + bot `answer`).
MESSAGE_COLUMNS: dict[str, pl.DataType] = {
    "id": pl.String(),
    "app_id": pl.String(),
    "model_provider": pl.String(),
    "model_id": pl.String(),
    "override_model_configs": pl.String(),  # JSON text
    "conversation_id": pl.String(),
    "parent_message_id": pl.String(),
    "inputs": pl.String(),  # JSON text, carries PII
    "query": pl.String(),
    "message": pl.String(),  # JSON text: the whole prompt history, not user text
    "answer": pl.String(),
    "message_tokens": pl.Int64(),
    "message_unit_price": pl.Float64(),
    "answer_tokens": pl.Int64(),
    "answer_unit_price": pl.Float64(),
    "total_price": pl.Float64(),
    "currency": pl.String(),
    "message_price_unit": pl.Float64(),
    "answer_price_unit": pl.Float64(),
    "provider_response_latency": pl.Float64(),  # seconds
    "from_source": pl.String(),
    "from_end_user_id": pl.String(),
    "from_account_id": pl.String(),
    "created_at": pl.String(),  # timestamp
    "updated_at": pl.String(),  # timestamp
    "agent_based": pl.Boolean(),
    "workflow_run_id": pl.String(),
    "status": pl.String(),
    "error": pl.String(),
    "message_metadata": pl.String(),  # JSON text
    "invoke_from": pl.String(),
}

CONVERSATION_TIMESTAMPS = ("created_at", "updated_at", "read_at")
MESSAGE_TIMESTAMPS = ("created_at", "updated_at")

CONVERSATIONS_WIRE_SCHEMA = pl.Schema(CONVERSATION_COLUMNS)
MESSAGES_WIRE_SCHEMA = pl.Schema(MESSAGE_COLUMNS)


def _raw(columns: dict[str, pl.DataType], timestamps: tuple[str, ...]) -> pl.Schema:
    return pl.Schema({k: (UTC_TS if k in timestamps else v) for k, v in columns.items()})


RAW_CONVERSATIONS_SCHEMA = _raw(CONVERSATION_COLUMNS, CONVERSATION_TIMESTAMPS)
RAW_MESSAGES_SCHEMA = _raw(MESSAGE_COLUMNS, MESSAGE_TIMESTAMPS)

# One row per row-level failure, from any asset and stage. Stored in MongoDB
# `processing_errors` (keyed by asset, partition, stage, record id) and summarized in the UI.
# `categorized_messages`: a message's labels (query: topic, intent, sentiment; answer:
# sentiment), its language and the pseudonymous user key.
CATEGORIZED_SCHEMA = pl.Schema(
    {
        "message_id": pl.String(),
        "conversation_id": pl.String(),
        "app_id": pl.String(),
        "model_id": pl.String(),
        "user_key": pl.String(),
        "created_at": UTC_TS,
        "language": pl.String(),
        "language_confidence": pl.Float64(),
        "topic": pl.String(),
        "topic_confidence": pl.Float64(),
        "intent": pl.String(),
        "intent_confidence": pl.Float64(),
        "sentiment": pl.String(),
        "sentiment_score": pl.Float64(),
        "answer_sentiment": pl.String(),
        "answer_sentiment_score": pl.Float64(),
    }
)

PROCESSING_ERRORS_SCHEMA = pl.Schema(
    {
        "asset": pl.String(),
        "partition": pl.String(),
        "stage": pl.String(),  # e.g. "ingestion", "categorization", "translation"
        "record_type": pl.String(),  # "conversation" | "message"
        "record_id": pl.String(),  # the row's own id, or a stable surrogate when it has none
        "conversation_id": pl.String(),
        "message_id": pl.String(),
        "reason": pl.String(),
        "detail": pl.String(),  # short excerpt of the offending value, never PII
    }
)


def empty(schema: pl.Schema) -> pl.DataFrame:
    return pl.DataFrame(schema=schema)


def conform(df: pl.DataFrame, schema: pl.Schema) -> pl.DataFrame:
    """Select and cast `df` to exactly `schema` (missing columns become nulls, extras dropped).

    Casting is strict: a value that cannot become the declared type is a bug upstream and
    raises, rather than silently turning into null.
    """
    exprs = []
    for name, dtype in schema.items():
        if name in df.columns:
            exprs.append(pl.col(name).cast(dtype, strict=True))
        else:
            exprs.append(pl.lit(None, dtype=dtype).alias(name))
    return df.select(exprs)


def load_columns(
    frame: pl.LazyFrame | pl.DataFrame, columns: Sequence[str], schema: Mapping[str, pl.DataType]
) -> pl.DataFrame:
    """The named columns of a stored input, collected; an empty frame in `schema` when nothing
    is stored (a missing partition loads as a frame without columns).

    A stored frame that lacks some of the columns is an error, not an empty input: reading it
    as empty would drop its rows without a word.
    """
    present = frame.collect_schema() if isinstance(frame, pl.LazyFrame) else frame.schema
    if not present:
        return pl.DataFrame(schema={c: schema[c] for c in columns})
    missing = [c for c in columns if c not in present]
    if missing:
        raise ValueError(f"stored frame lacks columns {missing} (it has {list(present)})")
    selected = frame.select(columns)
    return selected.collect() if isinstance(selected, pl.LazyFrame) else selected
