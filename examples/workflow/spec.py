"""The workflow's spec: the example tasks, each run into a new timestamped folder of logs/dev."""

from inspect_flow import FlowSpec, FlowTask

FlowSpec(
    log_dir="logs/dev",
    log_dir_create_unique=True,
    tasks=[
        FlowTask(factory="../tasks.py@addition", model="mockllm/model"),
        FlowTask(factory="../tasks.py@greeting", model="mockllm/model"),
    ],
)
