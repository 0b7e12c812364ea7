"""Unit tests of the demo generator: determinism, exact schemas, realism, malformed rows."""

from __future__ import annotations

import datetime as dt
import json
import re

import polars as pl
import pytest

from analytics_assets import schemas
from analytics_assets.sources.demo import generator as g

DAY = dt.date(2025, 3, 10)
SEED = 42
N = 20_000  # large enough for distribution tolerances, still well under a second to generate
TS_RE = r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}\+00:00$"
PARSE = "%Y-%m-%d %H:%M:%S%:z"


@pytest.fixture(scope="module")
def labeled() -> tuple[pl.DataFrame, pl.DataFrame]:
    return g.generate_labeled_day(DAY, SEED, N)


@pytest.fixture(scope="module")
def wire() -> tuple[pl.DataFrame, pl.DataFrame]:
    return g.generate_day(DAY, SEED, N)


def _wellformed(messages: pl.DataFrame) -> pl.DataFrame:
    return messages.filter(pl.col("malformed").is_null())


def _parse(col: str) -> pl.Expr:
    return pl.col(col).str.strptime(schemas.UTC_TS, PARSE, strict=True)


# ----------------------------------------------------------------- determinism and schema


def test_same_inputs_give_identical_frames(wire: tuple[pl.DataFrame, pl.DataFrame]) -> None:
    again = g.generate_day(DAY, SEED, N)
    assert wire[0].equals(again[0])
    assert wire[1].equals(again[1])


def test_other_seed_or_day_gives_other_data() -> None:
    base = g.generate_day(DAY, SEED, 500)[1]
    other_seed = g.generate_day(DAY, SEED + 1, 500)[1]
    other_day = g.generate_day(DAY + dt.timedelta(days=1), SEED, 500)[1]
    assert set(base["id"].drop_nulls()).isdisjoint(set(other_seed["id"].drop_nulls()))
    assert not base["query"].equals(other_seed["query"])
    assert not base["query"].equals(other_day["query"])


def test_frames_have_exactly_the_wire_schemas(wire: tuple[pl.DataFrame, pl.DataFrame]) -> None:
    conversations, messages = wire
    assert conversations.schema == schemas.CONVERSATIONS_WIRE_SCHEMA
    assert messages.schema == schemas.MESSAGES_WIRE_SCHEMA


def test_messages_per_day_is_exact_and_matches_dialogue_counts(
    wire: tuple[pl.DataFrame, pl.DataFrame],
) -> None:
    conversations, messages = wire
    assert messages.height == N
    assert conversations["dialogue_count"].sum() == N
    assert g.generate_day(DAY, SEED, 0)[1].height == 0
    assert g.generate_day(DAY, SEED, 0)[0].schema == schemas.CONVERSATIONS_WIRE_SCHEMA


def test_rows_are_ordered_by_created_at_then_id(wire: tuple[pl.DataFrame, pl.DataFrame]) -> None:
    for frame in wire:
        ok = frame.filter(pl.col("created_at").str.starts_with("20"))
        ok = ok.filter(pl.col("created_at") != g.BAD_CREATED_AT)
        assert ok.equals(ok.sort(["created_at", "id"], nulls_last=True))


# ----------------------------------------------------------------- timestamps


def test_every_timestamp_of_wellformed_rows_parses(
    labeled: tuple[pl.DataFrame, pl.DataFrame],
) -> None:
    conversations, messages = labeled
    msgs = _wellformed(messages)
    assert msgs["created_at"].str.contains(TS_RE).all()
    assert msgs["updated_at"].str.contains(TS_RE).all()
    parsed = msgs.select(c=_parse("created_at"), u=_parse("updated_at"))
    assert (parsed["u"] >= parsed["c"]).all()
    convs = conversations.select(
        c=_parse("created_at"), u=_parse("updated_at"), r=_parse("read_at")
    )
    assert (convs["u"] >= convs["c"]).all()
    assert (convs["r"].drop_nulls().len()) > 0
    # Conversations start on DAY; their messages may run past midnight but not for long.
    start = dt.datetime(DAY.year, DAY.month, DAY.day, tzinfo=dt.UTC)
    assert convs["c"].min() >= start
    assert convs["c"].max() < start + dt.timedelta(days=1)
    assert parsed["c"].max() < start + dt.timedelta(days=1, hours=8)
    assert (parsed["c"] >= start + dt.timedelta(days=1)).sum() > 0  # some after midnight


def test_message_times_follow_the_turns(labeled: tuple[pl.DataFrame, pl.DataFrame]) -> None:
    msgs = _wellformed(labeled[1]).sort(["conversation_id", "turn"])
    gaps = msgs.select(
        gap=(_parse("created_at") - _parse("updated_at").shift(1))
        .over("conversation_id")
        .dt.total_seconds(),
        turn=pl.col("turn"),
    ).filter(pl.col("turn") > 0)
    assert gaps["gap"].min() >= 3
    assert gaps["gap"].max() <= 1800
    assert 10 <= gaps["gap"].median() <= 120


# ----------------------------------------------------------------- distributions


def test_language_shares(labeled: tuple[pl.DataFrame, pl.DataFrame]) -> None:
    shares = dict(labeled[1]["language"].value_counts(normalize=True).iter_rows())
    assert set(shares) == {"th", "en", "de", "es", "fr", "ja", "pt", "vi"}
    assert 0.33 <= shares["th"] <= 0.42
    assert shares["th"] == max(shares.values())
    assert 0.17 <= shares["en"] <= 0.27
    for code in ("de", "es", "fr"):
        assert 0.06 <= shares[code] <= 0.15, code
    for code in ("ja", "pt", "vi"):
        assert 0.01 <= shares[code] <= 0.07, code


def test_text_is_in_the_labeled_language(labeled: tuple[pl.DataFrame, pl.DataFrame]) -> None:
    msgs = _wellformed(labeled[1])
    thai = msgs.filter(pl.col("language") == "th")
    assert thai["query"].str.contains(r"[\u0E00-\u0E7F]").all()
    assert thai["query"].str.contains(r"(ค่ะ|คะ|ครับ)").all()  # polite particles
    assert thai.filter(pl.col("status") == "normal")["answer"].str.contains("ค่ะ").all()
    assert not thai["query"].str.contains(r"\{[a-z]+\}").any()  # every slot was filled
    japanese = msgs.filter(pl.col("language") == "ja")
    assert japanese["query"].str.contains(r"[\u3040-\u30FF\u4E00-\u9FFF]").all()
    english = msgs.filter(pl.col("language") == "en")
    assert not english["query"].str.contains(r"[\u0E00-\u0E7F]").any()
    # The user's inputs.lang agrees with the language the user writes in.
    lang = msgs["inputs"].str.json_path_match("$.lang").str.slice(0, 2)
    assert (lang == msgs["language"]).all()


def test_thai_users_keep_one_gender_of_particles(
    labeled: tuple[pl.DataFrame, pl.DataFrame],
) -> None:
    thai = _wellformed(labeled[1]).filter(pl.col("language") == "th")
    per_user = thai.group_by("from_end_user_id").agg(
        female=pl.col("query").str.contains("ค่ะ|คะ").any(),
        male=pl.col("query").str.contains("ครับ").any(),
    )
    assert not (per_user["female"] & per_user["male"]).any()
    assert per_user["female"].any() and per_user["male"].any()


def test_tone_intent_and_topic_variety(labeled: tuple[pl.DataFrame, pl.DataFrame]) -> None:
    msgs = labeled[1]
    tones = dict(msgs["tone"].value_counts(normalize=True).iter_rows())
    assert set(tones) == {"positive", "negative", "neutral", "mixed"}
    assert min(tones.values()) >= 0.05
    assert set(msgs["intent"].unique()) == set(g.ph.INTENTS)
    assert set(msgs["topic"].unique()) == set(g.ph.TOPICS)
    # Plenty of distinct texts, not a handful of canned lines.
    assert msgs["query"].n_unique() > 2000
    assert msgs["answer"].str.contains("#AGENT").sum() > 0


def test_error_share_and_shape(labeled: tuple[pl.DataFrame, pl.DataFrame]) -> None:
    msgs = labeled[1]
    errors = msgs.filter(pl.col("status") == "error")
    assert 0.015 <= errors.height / msgs.height <= 0.025
    assert set(msgs["status"].unique()) == {"normal", "error"}
    assert (errors["answer"] == "").all()
    assert (errors["answer_tokens"] == 0).all()
    assert errors["error"].str.contains(r"^\[(openai|anthropic|google|deepseek)\] ").all()
    assert errors["error"].str.contains("timed out|429|503|400").all()
    assert msgs.filter(pl.col("status") == "normal")["error"].is_null().all()


def test_multi_turn_conversations(wire: tuple[pl.DataFrame, pl.DataFrame]) -> None:
    counts = wire[0]["dialogue_count"]
    assert counts.min() >= 1
    assert counts.max() <= g.MAX_TURNS
    assert 0.6 <= (counts > 1).mean() <= 0.8
    assert (counts >= 5).sum() > 0


def test_parent_message_ids_chain_turns(labeled: tuple[pl.DataFrame, pl.DataFrame]) -> None:
    msgs = labeled[1].filter(pl.col("conversation_id").is_not_null())
    msgs = msgs.sort(["conversation_id", "turn"])
    check = msgs.with_columns(prev=pl.col("id").shift(1).over("conversation_id"))
    assert check.filter(pl.col("turn") == 0)["parent_message_id"].is_null().all()
    later = check.filter(pl.col("turn") > 0)
    assert later.height > 0
    assert (later["parent_message_id"] == later["prev"]).all()
    # Turn numbers are 0..n-1 within each conversation.
    per_conv = msgs.group_by("conversation_id").agg(
        n=pl.len(), mx=pl.col("turn").max(), mn=pl.col("turn").min()
    )
    assert (per_conv["mn"] == 0).all()


def test_conversation_columns(wire: tuple[pl.DataFrame, pl.DataFrame]) -> None:
    conversations, messages = wire
    assert set(conversations["mode"].unique()) == {"chat"}
    assert set(conversations["status"].unique()) == {"normal"}
    assert set(conversations["from_source"].unique()) == {"api"}
    assert set(conversations["invoke_from"].unique()) == {"service-api"}
    assert conversations["from_account_id"].is_null().all()
    assert not conversations["is_deleted"].any()
    for col in ("app_model_config_id", "name", "summary", "introduction", "system_instruction"):
        assert conversations[col].is_not_null().all(), col
    assert (conversations["system_instruction_tokens"] > 500).all()
    read = conversations.filter(pl.col("read_at").is_not_null())
    assert 0 < read.height < conversations.height
    assert read["read_account_id"].is_not_null().all()
    # Each conversation's messages share its app and model, and dialogue_count is their count.
    counts = messages.group_by("conversation_id").agg(
        n=pl.len(), apps=pl.col("app_id").n_unique(), models=pl.col("model_id").n_unique()
    )
    joined = conversations.join(counts, left_on="id", right_on="conversation_id")
    assert (joined["apps"] == 1).all() and (joined["models"] == 1).all()
    complete = joined.filter(pl.col("n") == pl.col("dialogue_count"))
    assert complete.height >= joined.height - len(g.MALFORMED_MESSAGE_KINDS)


def test_apps_models_prices_and_latency(wire: tuple[pl.DataFrame, pl.DataFrame]) -> None:
    conversations, messages = wire
    assert conversations["app_id"].n_unique() == len(g.APPS)
    assert messages["model_id"].n_unique() == len(g.MODELS)
    assert set(messages["model_provider"].unique()) == {"openai", "anthropic", "google", "deepseek"}
    prices = messages.group_by("model_id").agg(
        pl.col("message_unit_price").n_unique().alias("n"),
        pl.col("message_unit_price").first(),
        latency=pl.col("provider_response_latency").filter(pl.col("status") == "normal").median(),
    )
    assert (prices["n"] == 1).all()
    assert prices["message_unit_price"].n_unique() == len(g.MODELS)
    lat = dict(zip(prices["model_id"], prices["latency"], strict=True))
    assert lat["gpt-4o-mini"] < lat["chatgpt-4o-latest"] < lat["deepseek-chat"]
    # App ids are stable across days and derived from the seed.
    other_day = g.generate_day(DAY + dt.timedelta(days=3), SEED, 300)[0]
    assert set(other_day["app_id"]) <= set(conversations["app_id"])
    other_seed = g.generate_day(DAY, SEED + 1, 300)[0]
    assert set(other_seed["app_id"]).isdisjoint(set(conversations["app_id"]))


def test_total_price_is_consistent(wire: tuple[pl.DataFrame, pl.DataFrame]) -> None:
    m = wire[1]
    expected = (
        m["message_tokens"] * m["message_unit_price"] * m["message_price_unit"]
        + m["answer_tokens"] * m["answer_unit_price"] * m["answer_price_unit"]
    )
    assert ((m["total_price"] - expected).abs() < 1e-12).all()
    assert (m["message_price_unit"] == 0.001).all() and (m["answer_price_unit"] == 0.001).all()
    assert set(m["currency"].unique()) == {"USD"}


def test_token_counts(labeled: tuple[pl.DataFrame, pl.DataFrame]) -> None:
    msgs = _wellformed(labeled[1])
    assert 1100 <= msgs["message_tokens"].mean() <= 1600
    by_turn = msgs.group_by("turn").agg(pl.col("message_tokens").mean()).sort("turn")
    means = dict(by_turn.iter_rows())
    assert means[0] < means[3] < means[8]
    normal = msgs.filter(pl.col("status") == "normal")
    assert (normal["answer_tokens"] > 0).all()


def test_returning_users(wire: tuple[pl.DataFrame, pl.DataFrame]) -> None:
    day1 = wire[0]
    day2 = g.generate_day(DAY + dt.timedelta(days=1), SEED, N)[0]
    users1 = set(day1["from_end_user_id"])
    users2 = set(day2["from_end_user_id"])
    assert len(users1 & users2) >= 0.3 * len(users2)
    per_user = day1.group_by("from_end_user_id").len()
    assert per_user["len"].max() >= 3  # some users come back several times a day
    assert len(users1) > 500  # but many different users


def test_inputs_json_has_the_reference_fields(wire: tuple[pl.DataFrame, pl.DataFrame]) -> None:
    conversations, messages = wire
    fields = {
        "username",
        "lang",
        "currency",
        "rGroup",
        "origin",
        "balance",
        "rewardsPoints",
        "listDeposit",
        "listWithdrawal",
        "listDepositMethods",
        "listWithdrawalMethods",
        "banks",
    }
    saw_deposit = False
    for raw in conversations["inputs"]:
        inputs = json.loads(raw)
        assert set(inputs) == fields
        assert inputs["username"].startswith("demo_")
        for entry in inputs["listDeposit"] + inputs["listWithdrawal"]:
            saw_deposit = True
            assert set(entry) == {"id", "status", "date", "url", "amount"}
            assert set(entry["amount"]) == {"submited", "received"}
        assert len({m["name"] for m in inputs["listDepositMethods"]}) == 2
        for method in inputs["listDepositMethods"] + inputs["listWithdrawalMethods"]:
            assert set(method) == {"id", "group", "name", "url"}
        assert 1 <= len(inputs["banks"]) <= 2
        for bank in inputs["banks"]:
            assert set(bank) == {
                "displayName",
                "bankName",
                "bankBranch",
                "accountName",
                "accountNumber",
            }
            assert bank["accountNumber"].startswith("DEMO-")
    assert saw_deposit
    # Messages carry their conversation's inputs.
    joined = messages.join(
        conversations.select("id", conv_inputs="inputs"), left_on="conversation_id", right_on="id"
    )
    assert (joined["inputs"] == joined["conv_inputs"]).all()


def test_users_keep_their_personal_data(wire: tuple[pl.DataFrame, pl.DataFrame]) -> None:
    day2 = g.generate_day(DAY + dt.timedelta(days=1), SEED, N)[0]
    both = pl.concat([wire[0], day2]).select(
        "from_end_user_id",
        username=pl.col("inputs").str.json_path_match("$.username"),
        banks=pl.col("inputs").str.json_path_match("$.banks"),
        balance=pl.col("inputs").str.json_path_match("$.balance"),
    )
    per_user = both.group_by("from_end_user_id").agg(
        pl.col("username").n_unique(), pl.col("banks").n_unique(), pl.col("balance").n_unique()
    )
    assert (per_user["username"] == 1).all()
    assert (per_user["banks"] == 1).all()
    assert (per_user["balance"] > 1).any()  # dynamic values do change


def test_message_json_is_the_prompt_history(labeled: tuple[pl.DataFrame, pl.DataFrame]) -> None:
    msgs = _wellformed(labeled[1]).head(3000)
    for row in msgs.select("message", "query", "turn").iter_rows(named=True):
        history = json.loads(row["message"])
        assert history[0]["role"] == "system"
        assert history[-1] == {"role": "user", "text": row["query"], "files": []}
        assert len(history) == 2 + 2 * min(row["turn"], g.HISTORY_TURNS)
        roles = [h["role"] for h in history[1:]]
        assert roles == ["user", "assistant"] * min(row["turn"], g.HISTORY_TURNS) + ["user"]
    assert msgs["message"].str.len_bytes().mean() < 1500
    for raw in msgs["message_metadata"].head(200):
        assert "usage" in json.loads(raw)


# ----------------------------------------------------------------- malformed rows


def test_malformed_rows_are_present_as_documented(
    labeled: tuple[pl.DataFrame, pl.DataFrame],
) -> None:
    conversations, messages = labeled
    kinds = messages.filter(pl.col("malformed").is_not_null())
    assert sorted(kinds["malformed"]) == sorted(g.MALFORMED_MESSAGE_KINDS)
    assert sorted(conversations["malformed"].drop_nulls()) == sorted(g.MALFORMED_CONVERSATION_KINDS)
    assert set(g.MALFORMED_KINDS) == set(g.MALFORMED_MESSAGE_KINDS) | set(
        g.MALFORMED_CONVERSATION_KINDS
    )

    def row(kind: str) -> dict[str, object]:
        return kinds.filter(pl.col("malformed") == kind).row(0, named=True)

    assert messages["id"].null_count() == 1 and row("message_missing_id")["id"] is None
    assert messages["conversation_id"].null_count() == 1
    assert row("message_missing_conversation_id")["conversation_id"] is None
    bad = row("message_bad_timestamp")
    assert bad["created_at"] == g.BAD_CREATED_AT and bad["updated_at"] == g.BAD_UPDATED_AT
    assert (
        messages.select(
            pl.col("created_at").str.strptime(schemas.UTC_TS, PARSE, strict=False).null_count()
        ).item()
        == 1
    )
    huge = row("message_huge_query")
    assert len(str(huge["query"]).encode()) >= g.HUGE_QUERY_BYTES
    assert conversations["id"].null_count() == 1
    # Only these rows are odd: every other query is short.
    assert (messages["query"].str.len_bytes() > 2000).sum() == 1


def test_malformed_rows_can_be_left_out_and_need_a_minimum_size() -> None:
    conversations, messages = g.generate_day(DAY, SEED, 1000, malformed=False)
    assert messages["id"].null_count() == 0 and conversations["id"].null_count() == 0
    assert messages["created_at"].str.contains(TS_RE).all()
    small = g.generate_day(DAY, SEED, g.MALFORMED_MIN_MESSAGES - 1)[1]
    assert small["id"].null_count() == 0
    assert g.generate_day(DAY, SEED, g.MALFORMED_MIN_MESSAGES)[1]["id"].null_count() == 1


def test_no_unfilled_slots_anywhere(wire: tuple[pl.DataFrame, pl.DataFrame]) -> None:
    slots = re.compile(r"\{(p|q|amt|ref|mins)\}")
    for col in ("query", "answer"):
        assert not wire[1][col].str.contains(slots.pattern).any(), col
