-- Legal basis: Portaria nº 916/2021 (DOU 13/08/2021), "Supervisão das APS – Retorno Gradual e Seguro" (service 14615):
-- the SERAT/SEAT of each Gerência Executiva configures the service and follows the supervisions of its APS.
--
-- One row per (cycle, Gerência Executiva): APS active at the cycle start, how many were supervised (a chosen task
-- exists), how many were conforme, each flag's count, and the shares over the APS count as DECIMAL(5,4) rounded
-- half up (integer arithmetic, no floats).
with

aps_cycles as (

    select * from {{ ref('fct_aps_supervision_cycles') }}

),

counted as (

    select
        cycle_number,
        cycle_start,
        cycle_deadline,
        gex_code,
        count(*) as aps_count,
        count(*) filter (where not s_missing) as supervised_count,
        count(*) filter (where status = 'conforme') as conforme_count,
        count(*) filter (where status = 'nao_conforme') as nao_conforme_count,
        count(*) filter (where status = 'nao_supervisionada') as nao_supervisionada_count,
        count(*) filter (where s_not_concluded) as not_concluded_count,
        count(*) filter (where s_no_images) as no_images_count,
        count(*) filter (where s_incomplete_fields) as incomplete_fields_count,
        count(*) filter (where s_no_competence) as no_competence_count,
        count(*) filter (where s_outside_opening_hours) as outside_opening_hours_count
    from aps_cycles
    group by cycle_number, cycle_start, cycle_deadline, gex_code

),

shares as (

    -- share = count / aps_count to 4 decimals, half up: (2 * 10000 * count + aps_count) // (2 * aps_count) ten-thousandths
    select
        *,
        cast(
            cast((20000 * supervised_count + aps_count) // (2 * aps_count) as decimal(9, 0))
            * cast(0.0001 as decimal(5, 4))
            as decimal(5, 4)
        ) as supervised_share,
        cast(
            cast((20000 * conforme_count + aps_count) // (2 * aps_count) as decimal(9, 0))
            * cast(0.0001 as decimal(5, 4))
            as decimal(5, 4)
        ) as conforme_share
    from counted

),

final as (

    select
        cycle_number,
        cycle_start,
        cycle_deadline,
        gex_code,
        aps_count,
        supervised_count,
        conforme_count,
        nao_conforme_count,
        nao_supervisionada_count,
        supervised_share,
        conforme_share,
        not_concluded_count,
        no_images_count,
        incomplete_fields_count,
        no_competence_count,
        outside_opening_hours_count
    from shares

)

select * from final
