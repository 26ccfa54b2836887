{#-
  The evidence of an ordinary-hours rule (R403..R407, R429): one row per task
  with the earliest offending act, why its moment is ordinary hours, and how
  many more acts were, e.g. "Comentário (evento E9) em 2025-06-02 10:00:00 pelo
  servidor 0000001, no intervalo Sisref previsto de ... (e mais 1 ato(s) no
  expediente)." `acts` is a relation of int_payee_acts__in_ordinary_hours
  rows; sentences are built only for the tasks that fire.
-#}
{% macro ordinary_hours_evidence(acts) -%}
    select
        task_id,
        first(
            case act_kind
                when 'conclusion' then 'Conclusão da tarefa'
                when 'status_change' then 'Alteração de status (evento ' || act_id || ')'
                when 'subtask_created' then 'Criação de subtarefa (evento ' || act_id || ')'
                when 'comment' then 'Comentário (evento ' || act_id || ')'
                when 'attachment' then 'Anexo (evento ' || act_id || ')'
                when 'dispatch' then 'Despacho SUB ' || act_id || ' no NB ' || act_nb
                when 'assignment' then 'Atribuição (tarefa puxada)'
            end
            || ' em ' || {{ evidence_ts('act_at') }} || ' pelo servidor ' || payee_siape || ', '
            || case ordinary_hours_source
                when 'sisref_interval'
                    then
                        'no intervalo Sisref ' || interval_kind
                        || ' de ' || {{ evidence_ts('interval_start_at') }}
                        || ' a ' || {{ evidence_ts('interval_end_at') }}
                        || ' (dia ' || {{ evidence_date('interval_work_date') }} || ')'
                else
                    'em dia com ocorrência Sisref ' || occurrence_code
                    || ' (' || coalesce(occurrence_description, 'sem descrição') || ')'
                    || ', que veda a atividade extraordinária no dia inteiro'
            end
            order by act_at, act_id, ordinary_hours_source, interval_kind, interval_start_at, occurrence_code
        )
        || case
            when count(distinct act_kind || ':' || coalesce(act_id, cast(act_at as varchar))) > 1
                then
                    ' (e mais '
                    || cast(count(distinct act_kind || ':' || coalesce(act_id, cast(act_at as varchar))) - 1 as varchar)
                    || ' ato(s) no expediente)'
            else ''
        end || '.' as evidence
    from {{ acts }}
    group by task_id
{%- endmacro %}
