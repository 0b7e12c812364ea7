"""`conversation_translations`: the translation cache, one document per cache key.

The translator builds the key (text, languages, backend); this module only stores and looks
up. A cached translation is never paid for twice, across runs and processes.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from pymongo import UpdateOne

from analytics_assets.storage.mongo.base import (
    DEFAULT_CHUNK,
    Repository,
    WriteCounts,
    iter_document_chunks,
    utcnow,
)
from analytics_assets.storage.mongo.collections import CONVERSATION_TRANSLATIONS
from analytics_assets.storage.mongo.models import TranslationDocument

REQUIRED = ("_id", "original", "translated", "source_language", "target_language", "backend")
LOOKUP_CHUNK = 5000


class TranslationsRepository(Repository):
    collection_name = CONVERSATION_TRANSLATIONS

    def get_many(self, keys: Iterable[str]) -> dict[str, TranslationDocument]:
        """Cached documents by key; keys not cached are absent from the result."""
        wanted = list(dict.fromkeys(keys))
        found: dict[str, TranslationDocument] = {}
        for start in range(0, len(wanted), LOOKUP_CHUNK):
            chunk = wanted[start : start + LOOKUP_CHUNK]
            for doc in self.collection.find({"_id": {"$in": chunk}}):
                found[doc["_id"]] = doc  # type: ignore[assignment]
        return found

    def put_many(
        self, docs: Iterable[Mapping[str, Any]], chunk_size: int = DEFAULT_CHUNK
    ) -> WriteCounts:
        """Upsert by `_id`; `created_at` is set on first insert only (idempotent)."""
        now = utcnow()
        total = WriteCounts()
        for batch in iter_document_chunks(docs, chunk_size):
            ops = []
            for doc in batch:
                missing = [k for k in REQUIRED if doc.get(k) is None]
                if missing:
                    raise ValueError(
                        f"translation cache document lacks {missing}: {doc.get('_id')}"
                    )
                fields = {k: v for k, v in doc.items() if k not in ("_id", "created_at")}
                fields["updated_at"] = now
                ops.append(
                    UpdateOne(
                        {"_id": doc["_id"]},
                        {
                            "$set": fields,
                            "$setOnInsert": {"created_at": doc.get("created_at") or now},
                        },
                        upsert=True,
                    )
                )
            result = self.collection.bulk_write(ops, ordered=False)
            total = total + WriteCounts(
                documents=len(ops),
                inserted=result.upserted_count,
                matched=result.matched_count,
                modified=result.modified_count,
            )
        return total
