with

stints as (
    select * from {{ ref('int_stage_stints') }}
)

select
    opportunity_id,
    stint_number,
    stage_name,
    stage_order,
    entered_at,
    exited_at,
    days_in_stage,
    is_current
from stints
