"""The two mapping files the demo's parties write: which columns are identifiers, which
attributes they keep and under what name. The quickstart shows them verbatim.

Spend carries no identifiers, so it is not tokenized: the brand converts its two
columns to Parquet with the types of the ``spend`` wire schema.
"""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq

BRAND_MAPPING = """\
# The brand's exposure log -> the `exposures` wire schema.
version: 1
kind: exposures
timezone: UTC              # seen_at values carry a Z (UTC) anyway
identifiers:
  - column: email          # raw email, messy (case, spaces)
    type: email
  - column: email_sha256   # some rows hold only the SHA-256 of the email
    type: email_sha256     # same family: both become one token_email column
  - column: phone
    type: phone
    region: US             # numbers written without +1 are US numbers
attributes:
  - column: campaign
    type: string
    as: campaign_id
  - column: channel
    type: string
  - column: seen_at
    type: timestamp
    as: exposure_time      # epoch seconds in the output
  - column: is_holdout
    type: bool
    as: holdout            # the control group of the lift measurement
"""

RETAILER_MAPPING = """\
# The retailer's order export -> the `purchases` wire schema.
version: 1
kind: purchases
timezone: UTC
identifiers:
  - column: customer_email
    type: email
  - column: mobile
    type: phone
    region: US
attributes:
  - column: order_ts
    type: timestamp
    as: purchase_time
  - column: order_total
    type: float
    as: amount
  - column: category
    type: string
"""

SPEND_SCHEMA = pa.schema([pa.field("campaign_id", pa.string()), pa.field("spend", pa.float64())])


def write_mapping(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def spend_to_parquet(csv_path: Path, out: Path) -> Path:
    """The brand's spend CSV (campaign_id, spend) as Parquet with the wire types."""
    types = dict(zip(SPEND_SCHEMA.names, SPEND_SCHEMA.types, strict=True))
    options = pa_csv.ConvertOptions(column_types=types)
    table = pa_csv.read_csv(csv_path, convert_options=options).select(SPEND_SCHEMA.names)
    pq.write_table(table.cast(SPEND_SCHEMA), out)
    return out
