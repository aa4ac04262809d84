{#- The late-data rule (config/lifecycle.yml `late_data_lookback_days`) has one
    home, here: an app event is applied to the activity history only when it
    was delivered at most N days after the UTC day it happened, and only once
    both that day and its delivery are on or before the as-of date.
    int_customer_activity_history applies the rule; fct_late_app_events counts
    what it leaves out. -#}

{#- The look-back in force, in days. -#}
{% macro late_data_lookback_days() -%}
    {{- lifecycle.lifecycle_days('late_data_lookback_days') -}}
{%- endmacro %}

{#- True when the event arrived within the look-back: delivered at most N days
    after the day it happened (an event dated after its delivery, a device
    clock running ahead, is in time). -#}
{% macro app_event_arrived_in_time(event_date, delivery_date) -%}
    {%- set lookback = lifecycle.late_data_lookback_days() | int -%}
    {{ event_date }} >= {{ dbt.dateadd('day', -lookback, delivery_date) }}
{%- endmacro %}

{#- True when the event is applied to the activity history of the as-of date:
    delivered and happened by then, and arrived in time. -#}
{% macro app_event_is_applied(event_date, delivery_date) -%}
    (
        {{ delivery_date }} <= {{ lifecycle.as_of_date() }}
        and {{ event_date }} <= {{ lifecycle.as_of_date() }}
        and {{ lifecycle.app_event_arrived_in_time(event_date, delivery_date) }}
    )
{%- endmacro %}
