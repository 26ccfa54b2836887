-- Legal basis: Portaria nº 916/2021 (DOU 13/08/2021), "Supervisão das APS – Retorno Gradual e Seguro" (service 14615):
-- in each bimonthly cycle the designated supervisor creates one GET task per APS, visits it during its opening hours,
-- attaches the images, fills every additional field and concludes the task within the cycle's 30 days.
--
-- One row per (cycle, APS active at the cycle start), with the chosen task and the contract's flags (section 5).
-- Chosen task: the first non-cancelled task of the APS by created_at whose created_at date is in
-- [cycle_start, cycle_deadline] (inclusive); ties on created_at go to the smallest task_id.
with

cycles as (

    select * from {{ ref('int_supervision__cycles') }}

),

agencies as (

    select * from {{ ref('stg_cadastro__aps') }}

),

supervision_tasks as (

    select * from {{ ref('stg_get__supervision_tasks') }}

),

designations as (

    select * from {{ ref('stg_sag__supervision_designations') }}

),

active_aps_by_cycle as (

    -- active at the cycle start: active_from <= start and (active_until null or >= start)
    select
        cycles.cycle_number,
        cycles.cycle_start,
        cycles.cycle_deadline,
        agencies.aps_code,
        agencies.aps_name,
        agencies.gex_code,
        agencies.opens_at,
        agencies.closes_at
    from cycles
    inner join agencies
        on
            cycles.cycle_start >= agencies.active_from
            and (agencies.active_until is null or cycles.cycle_start <= agencies.active_until)

),

tasks_in_window as (

    select
        active_aps_by_cycle.cycle_number,
        active_aps_by_cycle.aps_code,
        supervision_tasks.task_id,
        supervision_tasks.supervisor_siape,
        supervision_tasks.created_at,
        supervision_tasks.visited_at,
        supervision_tasks.concluded_at,
        supervision_tasks.status as task_status,
        supervision_tasks.attachments_count,
        supervision_tasks.additional_fields_total,
        supervision_tasks.additional_fields_filled,
        row_number() over (
            partition by active_aps_by_cycle.cycle_number, active_aps_by_cycle.aps_code
            order by supervision_tasks.created_at, supervision_tasks.task_id
        ) as task_rank
    from active_aps_by_cycle
    inner join supervision_tasks
        on
            active_aps_by_cycle.aps_code = supervision_tasks.aps_code
            and cast(supervision_tasks.created_at as date)
            between active_aps_by_cycle.cycle_start and active_aps_by_cycle.cycle_deadline
    where supervision_tasks.status is distinct from 'cancelada'

),

chosen_tasks as (

    select
        *,
        -- competence is checked on the visit date, or on the creation date when no visit is recorded
        cast(coalesce(visited_at, created_at) as date) as competence_checked_on
    from tasks_in_window
    where task_rank = 1

),

competent_chosen_tasks as (

    -- a SAG Gestão designation (by SERAT/SEAT or by the APS manager) of that supervisor for that APS on that day
    select distinct
        chosen_tasks.cycle_number,
        chosen_tasks.aps_code
    from chosen_tasks
    inner join designations
        on
            chosen_tasks.supervisor_siape = designations.siape
            and chosen_tasks.aps_code = designations.aps_code
            and chosen_tasks.competence_checked_on >= designations.competence_from
            and (
                designations.competence_until is null
                or chosen_tasks.competence_checked_on <= designations.competence_until
            )
            and designations.designated_by in ('serat_seat', 'gerente_aps')

),

flagged as (

    select
        active_aps_by_cycle.cycle_number,
        active_aps_by_cycle.cycle_start,
        active_aps_by_cycle.cycle_deadline,
        active_aps_by_cycle.aps_code,
        active_aps_by_cycle.aps_name,
        active_aps_by_cycle.gex_code,
        chosen_tasks.task_id,
        chosen_tasks.supervisor_siape,
        chosen_tasks.task_status,
        chosen_tasks.created_at as task_created_at,
        chosen_tasks.visited_at,
        chosen_tasks.concluded_at,
        chosen_tasks.attachments_count,
        chosen_tasks.additional_fields_total,
        chosen_tasks.additional_fields_filled,
        chosen_tasks.task_id is null as s_missing,
        chosen_tasks.task_id is not null
        and (
            chosen_tasks.concluded_at is null
            or cast(chosen_tasks.concluded_at as date) > active_aps_by_cycle.cycle_deadline
        ) as s_not_concluded,
        chosen_tasks.task_id is not null
        and coalesce(chosen_tasks.attachments_count, 0) = 0 as s_no_images,
        chosen_tasks.task_id is not null
        and coalesce(chosen_tasks.additional_fields_filled, 0)
        < coalesce(chosen_tasks.additional_fields_total, 0) as s_incomplete_fields,
        chosen_tasks.task_id is not null
        and competent_chosen_tasks.aps_code is null as s_no_competence,
        -- an APS without registered hours cannot be checked: false rather than null
        coalesce(
            chosen_tasks.task_id is not null
            and chosen_tasks.visited_at is not null
            and (
                cast(chosen_tasks.visited_at as time) < active_aps_by_cycle.opens_at
                or cast(chosen_tasks.visited_at as time) >= active_aps_by_cycle.closes_at
            ),
            false
        ) as s_outside_opening_hours
    from active_aps_by_cycle
    left join chosen_tasks
        on
            active_aps_by_cycle.cycle_number = chosen_tasks.cycle_number
            and active_aps_by_cycle.aps_code = chosen_tasks.aps_code
    left join competent_chosen_tasks
        on
            active_aps_by_cycle.cycle_number = competent_chosen_tasks.cycle_number
            and active_aps_by_cycle.aps_code = competent_chosen_tasks.aps_code

),

final as (

    select
        cycle_number,
        cycle_start,
        cycle_deadline,
        aps_code,
        aps_name,
        gex_code,
        task_id,
        supervisor_siape,
        task_status,
        task_created_at,
        visited_at,
        concluded_at,
        attachments_count,
        additional_fields_total,
        additional_fields_filled,
        s_missing,
        s_not_concluded,
        s_no_images,
        s_incomplete_fields,
        s_no_competence,
        s_outside_opening_hours,
        case
            when s_missing then 'nao_supervisionada'
            when
                s_not_concluded or s_no_images or s_incomplete_fields
                or s_no_competence or s_outside_opening_hours
                then 'nao_conforme'
            else 'conforme'
        end as status,
        -- the flags that fired, in column order, comma-separated; empty string when none
        concat_ws(
            ',',
            case when s_not_concluded then 's_not_concluded' end,
            case when s_no_images then 's_no_images' end,
            case when s_incomplete_fields then 's_incomplete_fields' end,
            case when s_no_competence then 's_no_competence' end,
            case when s_outside_opening_hours then 's_outside_opening_hours' end
        ) as nonconformities
    from flagged

)

select * from final
