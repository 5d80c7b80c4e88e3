"""Airflow DAG examples: Distillery stages as BashOperator tasks, each a deploy/bin/distill-submit call.

distillery_pipeline, one complete run per logical date (its own run directory):

    train_teacher >> soft_targets >> [distill, distill_baseline] >> evaluate

distillery_daily, the scheduled retrain after each day's date partition landed (the same steps as
deploy/scheduler/daily.sh, see deploy/scheduler/README.md):

    soft_targets >> distill >> evaluate >> publish

  soft_targets  soft-targets.incremental = true: the teacher labels the new date partition only and adds it to the
                one store of every day (the teacher is trained once beforehand: distill-submit -- train-teacher)
  distill       the day's student, on the whole store, under daily/<ds>/student
  evaluate      with the gate of the config (evaluate.gate): exit 3 fails the task when a model is below a
                threshold; the previous run compared with is the published one
  publish       deploy/scheduler/publish.sh: only when evaluate succeeded (Airflow's default all_success)

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

The tasks' commands are checked by a test (DagCommandsTest): deploy/scheduler/dag_commands.py reads this file
with Python's ast module, no Airflow needed, and every distill-submit call is parsed by the real command line.

Every stage of distillery_pipeline writes under the config's run-dir, shared by all tasks: here one directory per logical date, so that
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


def distill_submit(*cli_args: str, run_dir: str = RUN_DIR_OVERRIDE, restart: bool = True) -> str:
    """The bash command for one stage: distill-submit [opts] -- <subcommand> CONFIG [args] -P run-dir=... [flags]."""
    submit = shlex.join([f"{HOME}/deploy/bin/distill-submit", *SUBMIT_OPTS])
    args = shlex.join([*cli_args, "-P", run_dir])
    # The exit code of distill-submit is the application's: a non-zero exit fails the task.
    return f"{submit} -- {args} {RESTART_FLAGS if restart else ''}"


def script(name: str, *args: str) -> str:
    """The bash command for one of the scripts in deploy/scheduler."""
    return shlex.join([f"{HOME}/deploy/scheduler/{name}", *args])


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


# --- distillery_daily ------------------------------------------------------------------------------------------
# One run directory for every day (the teacher and the store are shared); each day's student and evaluation under
# daily/<ds>: the layout of deploy/scheduler/daily.sh (with the config's default teacher and store paths).
DAILY_DIR = Variable.get("distillery_daily_dir", default_var=f"{HOME}/runs/daily")
DAILY_CONFIG = Variable.get("distillery_daily_config", default_var=f"{HOME}/conf/prod.conf")
DAY = DAILY_DIR + "/daily/{{ ds }}"
DAILY_RUN_DIR = f'run-dir="{DAILY_DIR}"'
DAY_PATHS = ["-P", f'student.path="{DAY}/student"', "-P", f'evaluate.path="{DAY}/evaluation"']

with DAG(
    dag_id="distillery_daily",
    description="Distillery daily: new date partition -> store -> student -> gated evaluation -> publish",
    start_date=datetime(2025, 1, 1),
    schedule="15 3 * * *",  # after the day's partition landed; or trigger it from the ingestion DAG
    catchup=False,  # the store grows one date at a time: backfill old dates deliberately, oldest first
    max_active_runs=1,  # two days adding to one store would both find the same dates missing
    default_args=default_args,
    params={"overwrite": Param(False, type="boolean", description="pass --overwrite on first attempts")},
    tags=["distillery", "spark", "daily"],
) as daily:
    daily_soft_targets = BashOperator(
        task_id="soft_targets",
        # No restart flags: an incremental run adds whatever the store lacks, so a retry simply continues, and
        # --overwrite would recompute every stored date.
        bash_command=distill_submit("soft-targets", DAILY_CONFIG, "-P", "soft-targets.incremental=true",
                                    run_dir=DAILY_RUN_DIR, restart=False),
    )
    daily_distill = BashOperator(
        task_id="distill",
        bash_command=distill_submit("distill", DAILY_CONFIG, *DAY_PATHS, run_dir=DAILY_RUN_DIR),
    )
    daily_evaluate = BashOperator(
        task_id="evaluate",
        bash_command=distill_submit("evaluate", DAILY_CONFIG, *DAY_PATHS,
                                    "--previous", f"{DAILY_DIR}/published/evaluation", run_dir=DAILY_RUN_DIR),
        # The gate's exit 3 is a verdict, not a transient failure: retrying would only repeat it. (A crashed
        # evaluation is cheap to clear by hand.)
        retries=0,
    )
    publish = BashOperator(
        task_id="publish",
        bash_command=script("publish.sh", DAILY_DIR, "{{ ds }}"),
    )

    daily_soft_targets >> daily_distill >> daily_evaluate >> publish
