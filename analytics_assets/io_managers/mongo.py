"""`MongoDocumentsIOManager`: assets whose output is a set of MongoDB documents.

An asset opts in with `io_manager_key="mongo_io_manager"` and names its collection in its
definition metadata:

```python
@asset(
    partitions_def=DAILY_PARTITIONS,
    io_manager_key="mongo_io_manager",
    metadata={"mongo_collection": "conversation_categories"},  # optional: "mongo_key",
)                                                                # "mongo_mode"
def categories_docs(...) -> pl.DataFrame: ...
```

* output `pl.DataFrame` or `list[dict]`;
* partitioned assets: the partition's documents are replaced as a unit
  (`Repository.replace_partition`, documents stamped with `partition` = the partition key; a
  run over several partitions splits the output on its `partition` column and replaces each
  key, so a key without documents ends up empty, not stale);
* unpartitioned assets, or `mongo_mode="upsert"`: bulk upsert by the key (`mongo_key`, default
  the collection's business key); `analytics_reports` documents go through `upsert_report`;
* output metadata: collection, mode, documents, inserted, matched, modified, deleted;
* loading returns the partition's (or partitions', or the whole collection's) documents as a
  `pl.DataFrame`, without the bookkeeping `_write_id`.
"""

from __future__ import annotations

from typing import Any

import polars as pl
from dagster import ConfigurableIOManager, InputContext, OutputContext

from analytics_assets.resources.mongo.analytics import ReportsRepository
from analytics_assets.resources.mongo.base import (
    WRITE_ID,
    Repository,
    WriteCounts,
    documents_to_frame,
)
from analytics_assets.resources.mongo.client import MongoResource
from analytics_assets.resources.mongo.collections import SPECS_BY_NAME
from analytics_assets.resources.mongo.conversations import PartitionedRepository
from analytics_assets.resources.mongo.repositories import repository_for

COLLECTION_KEY = "mongo_collection"
KEY_FIELDS_KEY = "mongo_key"
MODE_KEY = "mongo_mode"
MODES = ("replace_partition", "upsert")
PARTITION_FIELD = "partition"


def _settings(metadata: dict[str, Any] | None, asset: str) -> tuple[str, tuple[str, ...], str]:
    metadata = metadata or {}
    collection = metadata.get(COLLECTION_KEY)
    if not collection:
        raise ValueError(
            f"asset {asset} uses the MongoDB IO manager but names no collection: add "
            f"metadata={{'{COLLECTION_KEY}': '<collection>'}}"
        )
    collection = str(getattr(collection, "value", collection))
    raw_key = metadata.get(KEY_FIELDS_KEY)
    raw_key = getattr(raw_key, "value", raw_key)
    if isinstance(raw_key, str):
        key = tuple(k.strip() for k in raw_key.split(",") if k.strip())
    elif raw_key:
        key = tuple(raw_key)
    else:
        spec = SPECS_BY_NAME.get(collection)
        if spec is None:
            raise ValueError(
                f"asset {asset}: collection {collection!r} has no spec; give '{KEY_FIELDS_KEY}'"
            )
        key = spec.key_fields
    mode = str(getattr(metadata.get(MODE_KEY), "value", metadata.get(MODE_KEY)) or "")
    if mode and mode not in MODES:
        raise ValueError(f"asset {asset}: {MODE_KEY} must be one of {MODES}, got {mode!r}")
    return collection, key, mode


def _as_frame(obj: Any) -> pl.DataFrame:
    if isinstance(obj, pl.DataFrame):
        return obj
    if isinstance(obj, list):
        return pl.DataFrame(obj, infer_schema_length=None) if obj else pl.DataFrame()
    raise TypeError(f"MongoDB IO manager stores pl.DataFrame or list[dict], got {type(obj)}")


class MongoDocumentsIOManager(ConfigurableIOManager):
    """Stores an asset's documents in a MongoDB collection (see the module docstring)."""

    mongo: MongoResource

    def handle_output(self, context: OutputContext, obj: Any) -> None:
        if obj is None:
            return
        asset = context.asset_key.to_user_string()
        collection, key, mode = _settings(context.definition_metadata, asset)
        repo = repository_for(self.mongo.db(), collection)
        partitions = list(context.asset_partition_keys) if context.has_asset_partitions else []
        mode = mode or ("replace_partition" if partitions else "upsert")
        if mode == "replace_partition" and not partitions:
            raise ValueError(f"asset {asset}: replace_partition needs a partitioned asset")

        if mode == "upsert":
            counts = self._upsert(repo, obj, key, partitions)
        else:
            counts = self._replace(repo, _as_frame(obj), key, partitions, asset)
        context.add_output_metadata(
            {
                "collection": collection,
                "mode": mode,
                "key": ", ".join(key),
                **counts.as_dict(),
            }
        )

    @staticmethod
    def _upsert(
        repo: Repository, obj: Any, key: tuple[str, ...], partitions: list[str]
    ) -> WriteCounts:
        if isinstance(repo, ReportsRepository):
            docs = obj.to_dicts() if isinstance(obj, pl.DataFrame) else list(obj)
            for doc in docs:
                repo.upsert_report(doc)
            return WriteCounts(documents=len(docs))
        frame = _as_frame(obj)
        if len(partitions) == 1 and PARTITION_FIELD not in frame.columns:
            frame = frame.with_columns(pl.lit(partitions[0]).alias(PARTITION_FIELD))
        return repo.upsert_many(frame, key_fields=key)

    @staticmethod
    def _replace(
        repo: Repository,
        frame: pl.DataFrame,
        key: tuple[str, ...],
        partitions: list[str],
        asset: str,
    ) -> WriteCounts:
        if len(partitions) == 1:
            groups = {partitions[0]: frame}
        else:
            if frame.height and PARTITION_FIELD not in frame.columns:
                raise ValueError(
                    f"asset {asset}: an output spanning {len(partitions)} partitions needs a "
                    f"'{PARTITION_FIELD}' column to split on"
                )
            groups = {p: frame.clear() for p in partitions}
            if frame.height:
                for (value,), part in frame.group_by(PARTITION_FIELD, maintain_order=True):
                    if value not in groups:
                        raise ValueError(
                            f"asset {asset}: rows for partition {value!r} outside this run"
                        )
                    groups[value] = part
        total = WriteCounts()
        for partition, part in groups.items():
            if isinstance(repo, PartitionedRepository):
                total = total + repo.replace_partition(partition, part, key_fields=key)
            else:
                total = total + repo.replace_partition(
                    partition, part, partition_field=PARTITION_FIELD, key_fields=key
                )
        return total

    def load_input(self, context: InputContext) -> pl.DataFrame:
        upstream = context.upstream_output
        asset = context.asset_key.to_user_string()
        metadata = upstream.definition_metadata if upstream is not None else {}
        collection, key, _ = _settings(metadata, asset)
        repo = repository_for(self.mongo.db(), collection)
        flt: dict[str, Any] = {}
        if context.has_asset_partitions:
            flt[PARTITION_FIELD] = {"$in": list(context.asset_partition_keys)}
        docs = repo.find(flt, sort=[(k, 1) for k in key], projection={WRITE_ID: 0})
        return documents_to_frame(docs)
