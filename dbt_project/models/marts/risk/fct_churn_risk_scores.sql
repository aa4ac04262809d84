{#- One row per current customer (stage not prospect or churned) on the as-of
    date: a points-based churn risk score with its reasons in words. The rules
    and their weights live in macro churn_risk_scores and config/lifecycle.yml
    (churn_risk); fct_churn_risk_backtest runs the same macro at an earlier
    cutoff to show how well the score predicts churn. -#}
{{ lifecycle.churn_risk_scores(lifecycle.as_of_date()) }}
