{{ config(materialized='view') }}

with

current_versions as (
    select * from {{ ref('base_salesforce__opportunity_history') }}
)

select
    ---------- ids
    opportunity_history_id,
    opportunity_id,

    ---------- text
    stage_name,
    {{ forecast_category_label('forecast_category') }} as forecast_category,

    ---------- numerics
    amount,
    probability,

    ---------- dates
    close_date,

    ---------- timestamps
    created_at,
    system_modstamp_at,

    ---------- lineage
    _source_file,
    _source_line
from current_versions
where not is_deleted
