with

reps as (
    select * from {{ ref('int_reps') }}
),

assignments as (
    select * from {{ ref('stg_enablement__training_assignments') }}
),

sessions as (
    select * from {{ ref('stg_enablement__coaching_sessions') }}
),

-- Every month from 2000 up to the month of the as-of date, with the day its overdue count is
-- taken: its last day, or the as-of date in its month.
months as (
    select
        cast(date_month as date) as month_start,
        least({{ month_end('date_month') }}, {{ as_of_date() }}) as count_date
    from (
        {{ dbt.date_spine(
            'month',
            "cast('2000-01-01' as date)",
            dbt.dateadd('month', 1, month_start(as_of_date())),
        ) }}
    ) as spine
),

-- Records up to the end of the as-of date: a completion or session after it has not happened
-- as far as the marts are concerned.
rep_assignments as (
    select
        reps.rep_id,
        assignments.assignment_id,
        assignments.assigned_date,
        assignments.due_date,
        assignments.score,
        assignments.duration_minutes,
        case
            when assignments.completed_at < {{ as_of_day_end() }} then assignments.status
            when assignments.status = 'Completed' then 'In Progress'
            else assignments.status
        end as status,
        case
            when assignments.completed_at < {{ as_of_day_end() }} then assignments.completed_at
        end as completed_at
    from assignments
    inner join reps
        on assignments.employee_id = reps.employee_id
    where assignments.assigned_date <= {{ as_of_date() }}
),

rep_sessions as (
    select *
    from sessions
    where status = 'Completed' and started_at < {{ as_of_day_end() }}
),

assigned as (
    select
        rep_id,
        {{ month_start('assigned_date') }} as month_start,
        count(*) as trainings_assigned
    from rep_assignments
    group by 1, 2
),

completed as (
    select
        rep_id,
        {{ month_start('completed_at') }} as month_start,
        count(*) as trainings_completed,
        sum(duration_minutes) as training_minutes,
        avg(score) as avg_assessment_score
    from rep_assignments
    where status = 'Completed'
    group by 1, 2
),

-- Overdue at the count date: assigned by then, due before it, not Waived, not Completed by then.
overdue as (
    select
        rep_assignments.rep_id,
        months.month_start,
        count(*) as overdue_assignments
    from rep_assignments
    inner join months
        on
            rep_assignments.assigned_date <= months.count_date
            and rep_assignments.due_date < months.count_date
    where
        rep_assignments.status != 'Waived'
        and not coalesce(
            rep_assignments.status = 'Completed'
            and cast(rep_assignments.completed_at as date) <= months.count_date,
            false
        )
    group by 1, 2
),

coaching_received as (
    select
        reps.rep_id,
        {{ month_start('sessions.started_at') }} as month_start,
        count(*) as coaching_sessions,
        sum(sessions.duration_minutes) as coaching_minutes
    from rep_sessions as sessions
    inner join reps
        on sessions.rep_employee_id = reps.employee_id
    group by 1, 2
),

coaching_given as (
    select
        reps.rep_id,
        {{ month_start('sessions.started_at') }} as month_start,
        count(*) as coaching_sessions_given
    from rep_sessions as sessions
    inner join reps
        on sessions.coach_employee_id = reps.employee_id
    group by 1, 2
),

rep_months as (
    select
        rep_id,
        month_start
    from assigned
    union
    select
        rep_id,
        month_start
    from completed
    union
    select
        rep_id,
        month_start
    from overdue
    union
    select
        rep_id,
        month_start
    from coaching_received
    union
    select
        rep_id,
        month_start
    from coaching_given
)

select
    rep_months.rep_id,
    rep_months.month_start,
    coalesce(assigned.trainings_assigned, 0) as trainings_assigned,
    coalesce(completed.trainings_completed, 0) as trainings_completed,
    cast(coalesce(completed.training_minutes, 0) as double) as training_minutes,
    cast(completed.avg_assessment_score as double) as avg_assessment_score,
    coalesce(overdue.overdue_assignments, 0) as overdue_assignments,
    coalesce(coaching_received.coaching_sessions, 0) as coaching_sessions,
    cast(coalesce(coaching_received.coaching_minutes, 0) as double) as coaching_minutes,
    coalesce(coaching_given.coaching_sessions_given, 0) as coaching_sessions_given
from rep_months
left join assigned
    on
        rep_months.rep_id = assigned.rep_id
        and rep_months.month_start = assigned.month_start
left join completed
    on
        rep_months.rep_id = completed.rep_id
        and rep_months.month_start = completed.month_start
left join overdue
    on
        rep_months.rep_id = overdue.rep_id
        and rep_months.month_start = overdue.month_start
left join coaching_received
    on
        rep_months.rep_id = coaching_received.rep_id
        and rep_months.month_start = coaching_received.month_start
left join coaching_given
    on
        rep_months.rep_id = coaching_given.rep_id
        and rep_months.month_start = coaching_given.month_start
where rep_months.month_start <= {{ month_start(as_of_date()) }}
