"""Airflow DAG example: one Distillery run, one task per stage, each a deploy/bin/distill-submit call.

    train_teacher >> soft_targets >> [distill, distill_baseline] >> evaluate

Example only, untested against a live Airflow here (no Airflow on the machines this was written on; the file is
syntax-checked). Written for Airflow 2.4+ (the ``schedule`` argument); copy it into your DAGs folder and set the
Airflow Variables (or edit the defaults below):

    distillery_home    checkout (or install dir) holding deploy/bin/distill-submit   e.g. /opt/distillery
    distillery_config  the run config (HOCON)                                        e.g. /opt/distillery/conf/prod.conf
    distillery_master  Spark master: local[*], spark://host:7077, yarn, k8s://https://...
    distillery_jar     the shaded jar (else distill-submit's default jobs/target/distillery-jobs-*.jar)

Each task runs on an Airflow worker that must have Java 17 and either the repository (distill-submit assembles its
Spark runtime on first use, which needs Maven) or a Spark distribution (SPARK_HOME, or USE_SPARK_SUBMIT=1 with
spark-submit on PATH). In client mode (distill-submit's default) the Spark driver runs inside the Airflow task, so
size the worker for --driver-memory; with YARN/Kubernetes cluster mode it does not.

Every stage writes under the config's run-dir, shared by all tasks: here one directory per logical date, so that
reruns and backfills of different dates never touch each other's outputs. A retry of a task passes --resume so the
stage continues from what it already wrote instead of starting over; a first attempt passes --overwrite only if you
clear the task deliberately with the DAG param "overwrite" set.
"""

from __future__ import annotations

import shlex
from datetime import datetime, timedelta

from airflow import DAG
from airflow.models import Variable
from airflow.models.param import Param
from airflow.operators.bash import BashOperator

HOME = Variable.get("distillery_home", default_var="/opt/distillery")
CONFIG = Variable.get("distillery_config", default_var=f"{HOME}/conf/fashion-mnist-offline.conf")
MASTER = Variable.get("distillery_master", default_var="local[*]")
JAR = Variable.get("distillery_jar", default_var="")

# Options for distill-submit itself (before the "--"): master, jar, memory.
SUBMIT_OPTS = ["--master", MASTER, "--driver-memory", "4g", "--executor-memory", "6g"]
if JAR:
    SUBMIT_OPTS += ["--jar", JAR]

# Per logical date run directory (Jinja, rendered by Airflow); quoted because -P values are HOCON.
RUN_DIR_OVERRIDE = 'run-dir="' + HOME + '/runs/{{ ds }}"'

# --resume on retries; --overwrite only when the run was triggered with params.overwrite = true.
RESTART_FLAGS = (
    "{{ '--resume' if ti.try_number > 1 else '' }} "
    "{{ '--overwrite' if params.overwrite and ti.try_number == 1 else '' }}"
)


def distill_submit(*cli_args: str) -> str:
    """The bash command for one stage: distill-submit [opts] -- <subcommand> CONFIG [args] -P run-dir=... [flags]."""
    submit = shlex.join([f"{HOME}/deploy/bin/distill-submit", *SUBMIT_OPTS])
    args = shlex.join([*cli_args, "-P", RUN_DIR_OVERRIDE])
    # The exit code of distill-submit is the application's: a non-zero exit fails the task.
    return f"{submit} -- {args} {RESTART_FLAGS}"


default_args = {
    "owner": "distillery",
    "retries": 2,
    "retry_delay": timedelta(minutes=10),
    # Training stages are long; fail a hung one rather than holding the worker forever.
    "execution_timeout": timedelta(hours=12),
}

with DAG(
    dag_id="distillery_pipeline",
    description="Distillery: teacher -> soft targets -> student and baseline -> evaluation",
    start_date=datetime(2025, 1, 1),
    schedule=None,  # triggered by hand or by an upstream data DAG; use "@daily" for a daily retrain
    catchup=False,
    max_active_runs=1,  # one Spark application set at a time on a shared cluster
    default_args=default_args,
    params={"overwrite": Param(False, type="boolean", description="pass --overwrite on first attempts")},
    tags=["distillery", "spark"],
) as dag:
    train_teacher = BashOperator(
        task_id="train_teacher",
        bash_command=distill_submit("train-teacher", CONFIG),
    )
    soft_targets = BashOperator(
        task_id="soft_targets",
        bash_command=distill_submit("soft-targets", CONFIG),
    )
    # The student and the no-teacher baseline read the same soft-target store and can run side by side
    # (on a small cluster, give them a pool with one slot to run them one after the other).
    distill = BashOperator(
        task_id="distill",
        bash_command=distill_submit("distill", CONFIG),
    )
    distill_baseline = BashOperator(
        task_id="distill_baseline",
        bash_command=distill_submit("distill", CONFIG, "--baseline"),
    )
    evaluate = BashOperator(
        task_id="evaluate",
        bash_command=distill_submit("evaluate", CONFIG),
    )

    train_teacher >> soft_targets >> [distill, distill_baseline] >> evaluate
