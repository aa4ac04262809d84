{#- True for a row of int_customer_activity_history with any activity: the rows
    int_customer_activity_days shows. The others are days that lost their activity
    and are kept as zeros (delete+insert cannot drop them on every engine). -#}
{% macro has_activity() -%}
    (orders + app_events + support_tickets + active_account_peers) > 0
{%- endmacro %}
