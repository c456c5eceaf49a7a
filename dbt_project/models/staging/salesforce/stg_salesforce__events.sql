{{ config(materialized='view') }}

with

current_versions as (
    select * from {{ ref('base_salesforce__events') }}
)

select
    ---------- ids
    event_id,
    owner_id,
    who_id,
    what_id,
    account_id,

    ---------- text
    subject,
    event_type,

    ---------- numerics
    duration_in_minutes,

    ---------- timestamps
    start_at,
    end_at,
    created_at,
    system_modstamp_at,

    ---------- lineage
    _source_file,
    _source_line
from current_versions
where not is_deleted
