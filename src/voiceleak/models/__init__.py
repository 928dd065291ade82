"""Model backends. Importing this package registers the built-in ones; optional backends are
registered lazily so that `voiceleak list models` shows them without importing their dependencies."""

from voiceleak.models import baselines, probe
from voiceleak.models.base import AudioModel, Model, SupervisedModel, build_model, models

__all__ = ["AudioModel", "Model", "SupervisedModel", "baselines", "build_model", "models", "probe"]

models.register_lazy("openai", "voiceleak.models.openai_compat:OpenAIChatModel", "OpenAI-compatible chat completions (OpenAI, vllm serve, SGLang, DashScope, OpenRouter); args: base_url, api_key_env, max_concurrency, rpm, timeout, max_retries, audio_part=input_audio|audio_url, requires_audio, token_field, header.NAME=VALUE")  # noqa: E501
models.register_lazy("gemini", "voiceleak.models.gemini:GeminiModel", "Google Gemini through google-genai; args: base_url, api_key_env, max_concurrency, rpm, timeout, max_retries, retry_delay, inline_limit_mb, thinking_budget")  # noqa: E501
models.register_lazy("transformers", "voiceleak.models.hf_transformers:TransformersModel", "a local or hub checkpoint in-process (qwen2-audio, qwen2.5-omni, qwen3-omni, phi4-multimodal, voxtral, granite-speech, gemma3n, audioflamingo3); args: family, device, dtype, batch, offline, revision")  # noqa: E501
models.register_lazy("vllm", "voiceleak.models.vllm_backend:VLLMModel", "vLLM offline engine in-process (GPU; needs the vllm extra); args: batch, max_model_len, gpu_memory_utilization, tensor_parallel_size, audio_part, dtype")  # noqa: E501
models.register_lazy("asr", "voiceleak.models.asr.model:RecogniserModel", "a speech recogniser as a model (asr:whisper-tiny, asr:whisper-base language=auto): transcribes, names the language if it can; errors on any other question")  # noqa: E501
models.register_lazy("cascade", "voiceleak.models.cascade:Cascade", "speech recognition then a text-only model: cascade:ASR+TEXT, e.g. cascade:whisper-tiny+minilm (asr.KEY=V / text.KEY=V go to a stage; lid=asr|text)")  # noqa: E501
models.register_lazy("minilm", "voiceleak.models.text.minilm:MiniLMChooser", "text-only: the choice whose label/synonyms embedding is closest to the transcript (offline all-MiniLM-L6-v2; args: min_similarity)")  # noqa: E501
models.register_lazy("gemma-loglik", "voiceleak.models.text.gemma:GemmaLogLik", "text-only: offline Gemma 3 270M base scores each choice by log-likelihood (args: norm=mean|sum, path)")  # noqa: E501
