with

source as (
    select * from {{ source('sales_ops', 'comp_periods') }}
),

current_versions as (
    {{ current_version('source', key='quarter_start') }}
),

renamed as (
    select
        ---------- dates
        quarter_start,
        close_date,

        ---------- lineage
        _source_file,
        _source_line
    from current_versions
)

select * from renamed
