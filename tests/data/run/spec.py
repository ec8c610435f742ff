from tasks import addition, greeting

from inspect_flow import FlowSpec, FlowTask

FlowSpec(
    log_dir="logs",
    tasks=[
        FlowTask(factory=addition, model="mockllm/model"),
        FlowTask(factory=greeting, model="mockllm/model"),
    ],
)
