"""Task families. Importing this package registers the built-in ones."""

from voiceleak.tasks import attribute
from voiceleak.tasks.base import PromptSet, Task, build_task, load_prompt_set, tasks

__all__ = ["PromptSet", "Task", "attribute", "build_task", "load_prompt_set", "tasks"]
from voiceleak.tasks import bystander, decision, identity, scope, utility, verify, words_voice  # noqa: F401  (registers identity and utility tasks)  # noqa: F401,E402  (registers decision and scope tasks)
