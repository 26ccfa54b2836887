-- Portaria PRES/INSS 1.839/2025, Anexo II, R430 (mesmo NB, mesmo profissional)
-- and R432 (mesmo NB, profissionais diferentes: "será validada apenas a primeira
-- utilização"). Contract 3: root tasks with an NB, across every evaluated task
-- since the program start, so a later reuse can reject a task of a paid month.
with

evaluated_tasks as (

    select * from {{ ref('int_tasks__evaluated') }}

),

root_tasks_with_nb as (

    select
        task_id,
        nb,
        payee_siape,
        concluded_at,
        row_number() over (partition by nb order by concluded_at, task_id) as use_order,
        count(*) over (partition by nb, payee_siape) as uses_by_same_payee
    from evaluated_tasks
    where is_root_task and nb is not null

),

payees_by_nb as (

    select
        nb,
        count(distinct payee_siape) as distinct_payees
    from root_tasks_with_nb
    group by nb

),

first_use_by_nb as (

    select
        nb,
        task_id as first_task_id,
        payee_siape as first_payee_siape,
        concluded_at as first_concluded_at
    from root_tasks_with_nb
    where use_order = 1

),

other_uses_by_same_payee as (

    select
        this_use.task_id,
        string_agg(
            other_use.task_id || ' (concluída em ' || {{ evidence_ts('other_use.concluded_at') }} || ')',
            ', ' order by other_use.concluded_at, other_use.task_id
        ) as other_tasks
    from root_tasks_with_nb as this_use
    inner join root_tasks_with_nb as other_use
        on
            this_use.nb = other_use.nb
            and this_use.payee_siape = other_use.payee_siape
            and this_use.task_id <> other_use.task_id
    group by this_use.task_id

),

nb_reuse_by_task as (

    select
        root_tasks_with_nb.task_id,
        root_tasks_with_nb.uses_by_same_payee > 1 as r430,
        case
            when root_tasks_with_nb.uses_by_same_payee > 1
                then
                    'NB ' || root_tasks_with_nb.nb || ' usado pelo mesmo servidor '
                    || root_tasks_with_nb.payee_siape || ' também na(s) tarefa(s) '
                    || other_uses_by_same_payee.other_tasks || '.'
        end as r430_evidence,
        payees_by_nb.distinct_payees > 1 and root_tasks_with_nb.use_order > 1 as r432,
        case
            when payees_by_nb.distinct_payees > 1 and root_tasks_with_nb.use_order > 1
                then
                    'NB ' || root_tasks_with_nb.nb || ' usado por '
                    || cast(payees_by_nb.distinct_payees as varchar)
                    || ' servidores; só vale a primeira utilização: tarefa '
                    || first_use_by_nb.first_task_id || ' concluída em '
                    || {{ evidence_ts('first_use_by_nb.first_concluded_at') }} || ' pelo servidor '
                    || first_use_by_nb.first_payee_siape || '.'
        end as r432_evidence
    from root_tasks_with_nb
    inner join payees_by_nb
        on root_tasks_with_nb.nb = payees_by_nb.nb
    inner join first_use_by_nb
        on root_tasks_with_nb.nb = first_use_by_nb.nb
    left join other_uses_by_same_payee
        on root_tasks_with_nb.task_id = other_uses_by_same_payee.task_id

),

final as (

    select
        evaluated_tasks.task_id,
        coalesce(nb_reuse_by_task.r430, false) as r430,
        nb_reuse_by_task.r430_evidence,
        coalesce(nb_reuse_by_task.r432, false) as r432,
        nb_reuse_by_task.r432_evidence
    from evaluated_tasks
    left join nb_reuse_by_task
        on evaluated_tasks.task_id = nb_reuse_by_task.task_id

)

select * from final
