with

source as (
    select * from {{ source('sales_ops', 'spiffs') }}
),

current_versions as (
    {{ current_version('source', key='spiff_id') }}
),

renamed as (
    select
        ---------- ids
        spiff_id,

        ---------- text
        spiff_name,
        opportunity_type,

        ---------- numerics
        min_amount,
        amount_per_deal,
        max_payout_per_employee,

        ---------- dates
        start_date,
        end_date,

        ---------- lineage
        _source_file,
        _source_line
    from current_versions
)

select * from renamed
