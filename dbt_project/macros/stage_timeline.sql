{#- The lifecycle stage timeline (models/intermediate/activity/int_customer_stage_timeline)
    is kept per customer, without an as-of cap; the as-of marts bound it. -#}

{#- The stage rules the timeline is computed with, as text: kept on every row, so that a
    changed rule rebuilds the whole timeline. -#}
{% macro stage_rules() -%}
    {{- 'new=' ~ lifecycle.lifecycle_days('new_window_days')
        ~ ';reactivated=' ~ lifecycle.lifecycle_days('reactivated_window_days')
        ~ ';at_risk=' ~ lifecycle.lifecycle_days('at_risk_after_days')
        ~ ';churned=' ~ lifecycle.lifecycle_days('churned_after_days') -}}
{%- endmacro %}

{#- One row per customer: everything a customer's timeline is computed from. The first day
    they were seen (their records' first sighting or first activity, whichever is earlier;
    null when neither is known: least() skips a null on every engine here) and their
    activity days with the kinds of activity on each, which name a stretch's trigger (how
    many, and an order-independent fingerprint of them). Two customers with equal inputs
    get the same timeline. Also their first activity day, derived from those days. -#}
{% macro stage_timeline_inputs() -%}
    with

    activity as (
        select
            customer_id,
            min(activity_date) as first_activity_date,
            count(*) as activity_day_count,
            {{ lifecycle.activity_days_fingerprint() }} as activity_fingerprint
        from {{ ref('int_customer_activity_days') }}
        group by customer_id
    ),

    records as (
        select
            customer_id,
            min(cast(first_seen_at as date)) as first_record_date
        from {{ ref('int_customers_matched') }}
        group by customer_id
    )

    select
        records.customer_id,
        least(records.first_record_date, activity.first_activity_date) as first_seen_date,
        activity.first_activity_date,
        coalesce(activity.activity_day_count, 0) as activity_day_count,
        coalesce(activity.activity_fingerprint, 0) as activity_fingerprint
    from records
    left join activity
        on records.customer_id = activity.customer_id
{%- endmacro %}

{#- An order-independent fingerprint of a customer's activity days (an aggregate over
    int_customer_activity_days): the XOR of a 62-bit value per day, made from the day and
    the kinds of activity it had. Integer arithmetic that stays below 2^63 (x < 2^19:
    the day number times 16 plus four kind bits; h1 = (x * 1103515245 + 12345) mod
    2^31 - 1, a bijection of x; the value h1 * 2^31 + h1^2 mod 2^31 - 1), so every engine
    gives the same value: set_fingerprint's md5 took 0.54 s over 2.7 M days on DuckDB,
    twice a night, and each engine's own hash differs (the cross-engine tests compare
    every table). This takes 0.1 s. -#}
{% macro activity_days_fingerprint() -%}
    {%- set x -%}
        cast(
            {{ dbt.datediff("cast('1970-01-01' as date)", 'activity_date', 'day') }} * 16
            + case when orders > 0 then 8 else 0 end
            + case when app_events > 0 then 4 else 0 end
            + case when support_tickets > 0 then 2 else 0 end
            + case when active_account_peers > 0 then 1 else 0 end
            as bigint
        )
    {%- endset -%}
    {%- set h1 = '((' ~ x ~ ') * 1103515245 + 12345) % 2147483647' -%}
    bit_xor(({{ h1 }}) * 2147483648 + (({{ h1 }}) * ({{ h1 }})) % 2147483647)
{%- endmacro %}

{#- Pre-hook of int_customer_stage_timeline: delete the timelines of the customers whose
    inputs (stage_timeline_inputs) are not the ones they were computed from, of those
    no longer there (a retired key), and every timeline when a stage rule changed. The
    model then computes every customer the table does not hold. -#}
{% macro delete_changed_stage_timelines() -%}
    {%- if is_incremental() -%}
        delete from {{ this }}
        where customer_id in (
            select kept.customer_id
            from (
                select distinct
                    customer_id,
                    first_seen_date,
                    activity_day_count,
                    activity_fingerprint,
                    stage_rules
                from {{ this }}
            ) as kept
            left join ({{ lifecycle.stage_timeline_inputs() }}) as inputs
                on kept.customer_id = inputs.customer_id
            where inputs.customer_id is null
                or kept.stage_rules <> '{{ lifecycle.stage_rules() }}'
                or coalesce(kept.first_seen_date, cast('1900-01-01' as date))
                <> coalesce(inputs.first_seen_date, cast('1900-01-01' as date))
                or kept.activity_day_count <> inputs.activity_day_count
                or kept.activity_fingerprint <> inputs.activity_fingerprint
        )
    {%- endif -%}
{%- endmacro %}

{#- The timeline bounded by the as-of date: the stretches that have begun by then, the
    last one ending the day after it (valid_to exclusive). A customer known but never
    active is a prospect from the day first seen, or from the as-of date when that day
    is unknown or later. The one home of the bounding for fct_customer_stage_spans and
    fct_stage_transitions. -#}
{% macro stage_timeline_as_of() -%}
    {%- set as_of = lifecycle.as_of_date() -%}
    with

    timeline as (
        select
            customer_id,
            stage,
            case
                when stage = 'prospect' and (valid_from is null or valid_from > {{ as_of }})
                    then {{ as_of }}
                else valid_from
            end as valid_from,
            valid_to,
            valid_to is null or valid_to > {{ as_of }} as is_current,
            from_stage,
            trigger
        from {{ ref('int_customer_stage_timeline') }}
    )

    select
        customer_id,
        stage,
        cast(valid_from as date) as valid_from,
        cast(
            case when is_current then {{ dbt.dateadd('day', 1, as_of) }} else valid_to end
            as date
        ) as valid_to,
        is_current,
        from_stage,
        trigger
    from timeline
    where valid_from <= {{ as_of }}
{%- endmacro %}
