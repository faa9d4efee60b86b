# Image for the training and audit jobs of docker-compose.yml (the server is the stock tensorflow/serving).
FROM python:3.11-slim
WORKDIR /app
COPY pyproject.toml README.md ./
COPY saliency_core saliency_core
COPY trainer trainer
COPY serving serving
COPY cli_common cli_common
COPY audit_engine audit_engine
COPY audit_cli audit_cli
COPY protos protos
COPY saliency_demo saliency_demo
COPY audit_beam audit_beam
RUN pip install --no-cache-dir ".[model]"
ENTRYPOINT []
