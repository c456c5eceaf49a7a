{{ config(materialized='view') }}

with

current_versions as (
    select * from {{ ref('base_salesforce__tasks') }}
)

select
    ---------- ids
    task_id,
    owner_id,
    who_id,
    what_id,
    account_id,

    ---------- text
    subject,
    task_subtype,
    task_type,
    task_status,

    ---------- booleans
    is_closed,

    ---------- dates
    activity_date,

    ---------- timestamps
    completed_at,
    created_at,
    system_modstamp_at,

    ---------- lineage
    _source_file,
    _source_line
from current_versions
where not is_deleted
