from tasks import addition

from inspect_flow._spec import FlowSpec, FlowTask

FlowSpec(
    log_dir="logs",
    tasks=[
        FlowTask(factory=addition, model="mockllm/model"),
        FlowTask(name="tasks.py@addition", args={"n": 2}, model="mockllm/model"),
        FlowTask(name="tasks.py@greeting", model="mockllm/model"),
        FlowTask(name="tasks.py@flaky", model="mockllm/model"),
        FlowTask(name="tasks.py@addition", args={"n": 4}, model="mockllm/model"),
    ],
)
