#!/usr/bin/python3
"""Prints, as JSON, the command of every task of the Airflow DAGs in a file, read with ast (Airflow not needed).

Usage: /usr/bin/python3 deploy/scheduler/dag_commands.py deploy/scheduler/distillery_dag.py

For each DAG (by dag_id): its tasks, each with its task_id and what its bash_command runs, and the task
dependencies (a >> b) as [upstream, downstream] pairs. A bash_command built by distill_submit(*args, run_dir=...,
restart=...) is reported as kind "distill" with the CLI arguments it gets (args, then -P run_dir) and, when restart
is on, the flags that RESTART_FLAGS may add; one built by script(name, *args) as kind "script". Values that are not
literals are shown as their source text (e.g. "<DAILY_CONFIG>"), which is enough to check names and options.
"""

import ast
import json
import re
import sys


def literal(node, lists):
    """The strings a node stands for: a literal as is, a name as <NAME>, a *NAME of a module-level list expanded."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return [node.value]
    if isinstance(node, ast.Starred) and isinstance(node.value, ast.Name) and node.value.id in lists:
        return [s for element in lists[node.value.id] for s in literal(element, lists)]
    if isinstance(node, ast.Name):
        return [f"<{node.id}>"]
    return [ast.unparse(node)]


def keyword(call, name, default):
    for k in call.keywords:
        if k.arg == name:
            return k.value
    return default


def command(call, lists, restart_flags):
    """What a bash_command=distill_submit(...) or script(...) call runs."""
    helper = call.func.id
    args = [s for a in call.args for s in literal(a, lists)]
    if helper == "distill_submit":
        run_dir = literal(keyword(call, "run_dir", ast.Name("RUN_DIR_OVERRIDE")), lists)
        restart = keyword(call, "restart", ast.Constant(True))
        return {"kind": "distill", "argv": args + ["-P", *run_dir],
                "optional_flags": restart_flags if restart.value else []}
    if helper == "script":
        return {"kind": "script", "script": args[0], "argv": args[1:]}
    raise SystemExit(f"bash_command built by {helper}(), which this reader does not know")


def chain(node):
    """The task variables of each step of a >> chain: a >> [b, c] >> d gives [[a], [b, c], [d]]."""
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.RShift):
        return chain(node.left) + chain(node.right)
    if isinstance(node, ast.List):
        return [[e.id for e in node.elts]]
    return [[node.id]]


def main(path):
    tree = ast.parse(open(path, encoding="utf-8").read(), path)
    lists = {}
    restart_flags = []
    for node in tree.body:
        if isinstance(node, ast.Assign) and isinstance(node.targets[0], ast.Name):
            name = node.targets[0].id
            if isinstance(node.value, ast.List):
                lists[name] = node.value.elts
            if name == "RESTART_FLAGS":
                restart_flags = re.findall(r"'(--[\w-]+)'", ast.unparse(node.value))
    dags = {}
    for node in tree.body:
        if not isinstance(node, ast.With):
            continue
        dag_call = node.items[0].context_expr
        dag_id = keyword(dag_call, "dag_id", None).value
        tasks, variables, edges = [], {}, []
        for statement in node.body:
            if isinstance(statement, ast.Assign) and isinstance(statement.value, ast.Call) \
                    and getattr(statement.value.func, "id", "") == "BashOperator":
                task_id = keyword(statement.value, "task_id", None).value
                variables[statement.targets[0].id] = task_id
                task = {"task_id": task_id}
                task.update(command(keyword(statement.value, "bash_command", None), lists, restart_flags))
                tasks.append(task)
            elif isinstance(statement, ast.Expr) and isinstance(statement.value, ast.BinOp):
                steps = chain(statement.value)
                for up, down in zip(steps, steps[1:]):
                    edges += [[variables[a], variables[b]] for a in up for b in down]
        dags[dag_id] = {"tasks": tasks, "edges": edges}
    json.dump(dags, sys.stdout, indent=2)
    print()


if __name__ == "__main__":
    main(sys.argv[1])
