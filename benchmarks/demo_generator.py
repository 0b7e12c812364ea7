"""Benchmark: the vectorized demo generator vs a naive per-row Python generator, same process.

The requirement is 1M messages in under a minute. This script times
`generate_day(day, seed, messages_per_day)` for `--messages` (default 1,000,000) twice:
"cold" (first call in the process: also builds the seed's user pool, ~messages/3 users) and
"warm" (another day, pool cached, which is what a multi-day run sees for every day but the
first).

Baseline ("naive per-row"): the same kind of rows built the obvious way, one message at a time
in Python: `random` choices from the same phrase tables, slot replacement with `str.replace`,
`uuid.UUID` ids, `json.dumps` for `message` (prompt history) and `inputs`, `strftime`
timestamps, then one `pl.DataFrame` from the list of dicts, conformed to the wire schema. It runs
on `--baseline-messages` (default 20,000) and its rows/s is compared with the warm rate.

Run: `.venv/bin/python benchmarks/demo_generator.py` (options: `--messages`,
`--baseline-messages`, `--seed`).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import random
import time
import uuid
from collections.abc import Callable

import polars as pl

from analytics_assets import schemas
from analytics_assets.sources.demo import generator as g
from analytics_assets.sources.demo import phrases as ph

DAY = dt.date(2025, 3, 3)


def naive_day(day: dt.date, seed: int, messages: int) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Per-row reference implementation (same columns, simpler distributions)."""
    rnd = random.Random(seed * 1_000_003 + day.toordinal())
    users = [
        {
            "id": str(uuid.UUID(int=rnd.getrandbits(128), version=4)),
            "lang": rnd.choices(ph.LANGUAGES, weights=[lg.share for lg in ph.LANGUAGES])[0],
            "female": rnd.random() < 0.5,
            "no": i,
        }
        for i in range(g.pool_size(messages))
    ]
    apps = [str(uuid.UUID(int=rnd.getrandbits(128), version=4)) for _ in g.APPS]
    midnight = dt.datetime(day.year, day.month, day.day, tzinfo=dt.UTC)
    conversations: list[dict[str, object]] = []
    rows: list[dict[str, object]] = []
    while len(rows) < messages:
        user = rnd.choice(users)
        lang = user["lang"]
        assert isinstance(lang, ph.LanguagePhrases)
        topic = rnd.choice(ph.TOPICS)
        app_i = rnd.randrange(len(g.APPS))
        model = g.MODELS[g.APPS[app_i].models[0][0]]
        turns = min(min(int(rnd.expovariate(0.3)) + 1, g.MAX_TURNS), messages - len(rows))
        conv_id = str(uuid.UUID(int=rnd.getrandbits(128), version=4))
        t = midnight + dt.timedelta(seconds=rnd.randrange(86_400))
        inputs = json.dumps(
            {
                "username": f"demo_{lang.code}_{user['no']:06d}",
                "lang": lang.locale,
                "currency": lang.currency,
                "rGroup": "REGULAR",
                "origin": "web",
                "balance": round(rnd.random() * 1000, 2),
                "rewardsPoints": rnd.randrange(5000),
                "listDeposit": [],
                "listWithdrawal": [],
                "listDepositMethods": [],
                "listWithdrawalMethods": [],
                "banks": [
                    {
                        "displayName": "SDB",
                        "bankName": "Siam Demo Bank",
                        "bankBranch": "Demo Branch 1",
                        "accountName": f"DEMO USER {user['no']:06d}",
                        "accountNumber": f"DEMO-{user['no']:06d}-1",
                    }
                ],
            },
            ensure_ascii=False,
        )
        history: list[dict[str, object]] = [
            {"role": "system", "text": g.APPS[app_i].system_instruction, "files": []}
        ]
        parent = None
        start = t
        for turn in range(turns):
            _, _, text = rnd.choice(lang.core[topic])
            female = user["female"]
            query = (
                text.replace("{p}", "ค่ะ" if female else "ครับ")
                .replace("{q}", "คะ" if female else "ครับ")
                .replace("{amt}", str(rnd.randrange(10, 5000)))
                .replace("{ref}", f"TX{rnd.randrange(10**7, 10**8)}")
                .replace("{mins}", str(rnd.randrange(5, 91)))
            )
            answer = rnd.choice(lang.answers[topic])
            error = rnd.random() < g.ERROR_RATE
            latency = round(rnd.lognormvariate(0.8, 0.5), 3)
            mt, at = 1100 + 45 * turn, 0 if error else len(answer.encode()) // 3
            msg_id = str(uuid.UUID(int=rnd.getrandbits(128), version=4))
            prompt = history[:1] + history[1:][-2 * g.HISTORY_TURNS :]
            prompt = prompt + [{"role": "user", "text": query, "files": []}]
            rows.append(
                {
                    "id": msg_id,
                    "app_id": apps[app_i],
                    "model_provider": model.provider,
                    "model_id": model.model_id,
                    "conversation_id": conv_id,
                    "parent_message_id": parent,
                    "inputs": inputs,
                    "query": query,
                    "message": json.dumps(prompt, ensure_ascii=False),
                    "answer": "" if error else answer,
                    "message_tokens": mt,
                    "message_unit_price": model.message_unit_price,
                    "answer_tokens": at,
                    "answer_unit_price": model.answer_unit_price,
                    "total_price": mt * model.message_unit_price * 0.001
                    + at * model.answer_unit_price * 0.001,
                    "currency": "USD",
                    "message_price_unit": 0.001,
                    "answer_price_unit": 0.001,
                    "provider_response_latency": latency,
                    "from_source": "api",
                    "from_end_user_id": user["id"],
                    "created_at": t.strftime(g.TS_FORMAT),
                    "updated_at": (t + dt.timedelta(seconds=latency)).strftime(g.TS_FORMAT),
                    "agent_based": False,
                    "status": "error" if error else "normal",
                    "error": "[openai] Connection Error, Request timed out." if error else None,
                    "message_metadata": json.dumps({"usage": {"prompt_tokens": mt}}),
                    "invoke_from": "service-api",
                }
            )
            history += [
                {"role": "user", "text": query, "files": []},
                {"role": "assistant", "text": answer, "files": []},
            ]
            parent = msg_id
            t += dt.timedelta(seconds=latency + rnd.randrange(3, 120))
        conversations.append(
            {
                "id": conv_id,
                "app_id": apps[app_i],
                "model_provider": model.provider,
                "model_id": model.model_id,
                "mode": "chat",
                "name": lang.titles[topic],
                "inputs": inputs,
                "from_end_user_id": user["id"],
                "created_at": start.strftime(g.TS_FORMAT),
                "updated_at": t.strftime(g.TS_FORMAT),
                "is_deleted": False,
                "dialogue_count": turns,
            }
        )
    return (
        schemas.conform(pl.DataFrame(conversations), schemas.CONVERSATIONS_WIRE_SCHEMA),
        schemas.conform(pl.DataFrame(rows, infer_schema_length=None), schemas.MESSAGES_WIRE_SCHEMA),
    )


def _timed(
    fn: Callable[..., tuple[pl.DataFrame, pl.DataFrame]], *args: object
) -> tuple[float, tuple[pl.DataFrame, pl.DataFrame]]:
    t0 = time.perf_counter()
    out = fn(*args)
    return time.perf_counter() - t0, out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=1_000_000)
    parser.add_argument("--baseline-messages", type=int, default=20_000)
    parser.add_argument("--seed", type=int, default=42)
    args = parser.parse_args()

    cold_s, (conv, msgs) = _timed(g.generate_day, DAY, args.seed, args.messages)
    mb = msgs.estimated_size() / 1e6
    print(
        f"vectorized cold: {msgs.height:,} messages + {conv.height:,} conversations in "
        f"{cold_s:.2f} s ({msgs.height / cold_s:,.0f} messages/s, frame {mb:,.0f} MB)"
    )
    del conv, msgs
    warm_s, (conv, msgs) = _timed(
        g.generate_day, DAY + dt.timedelta(days=1), args.seed, args.messages
    )
    print(
        f"vectorized warm: {msgs.height:,} messages in {warm_s:.2f} s "
        f"({msgs.height / warm_s:,.0f} messages/s)"
    )
    del conv, msgs
    base_s, (_, base) = _timed(naive_day, DAY, args.seed, args.baseline_messages)
    base_rate = base.height / base_s
    print(
        f"naive per-row:   {base.height:,} messages in {base_s:.2f} s ({base_rate:,.0f} messages/s)"
    )
    print(f"speed-up (warm rows/s / naive rows/s): {args.messages / warm_s / base_rate:.1f}x")
    if args.messages >= 1_000_000:
        verdict = "met" if max(cold_s, warm_s) < 60 else "NOT met"
        print(f"1M messages in under 60 s: {verdict}")


if __name__ == "__main__":
    main()
