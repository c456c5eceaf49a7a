with

source as (
    select * from {{ source('sales_ops', 'plan_assignments') }}
),

current_versions as (
    {{ current_version('source', key='employee_id, plan_id, effective_start') }}
),

renamed as (
    select
        ---------- ids
        employee_id,
        plan_id,

        ---------- text
        draw_type,

        ---------- numerics
        quarterly_target_incentive,
        quarterly_draw_amount,

        ---------- dates
        effective_start,
        effective_end,

        ---------- lineage
        _source_file,
        _source_line
    from current_versions
)

select * from renamed
