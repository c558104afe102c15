"""Who asks the gate and for what: a deployment context, sent with a gate request and recorded
in the server's audit (docs/audit.md). Every field is optional free text, at most 512 characters.

    client.decide("checkout-availability", deployment=Deployment.from_ci_env())

``from_ci_env`` fills what a CI system says about the run it is in: GitHub Actions
(``GITHUB_SHA``, the run's URL, ``GITHUB_ACTOR``) or GitLab CI (``CI_COMMIT_SHA``,
``CI_PIPELINE_URL``, ``GITLAB_USER_LOGIN``); outside either, nothing.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, replace

from aegis.v1 import evaluation_pb2

__all__ = ["Deployment"]


@dataclass(frozen=True)
class Deployment:
    deployment_id: str = ""
    commit: str = ""
    pipeline_url: str = ""
    caller: str = ""

    def __bool__(self) -> bool:
        return any((self.deployment_id, self.commit, self.pipeline_url, self.caller))

    @classmethod
    def from_ci_env(cls, env: Mapping[str, str] | None = None) -> Deployment:
        """What GitHub Actions or GitLab CI says about the current run; empty elsewhere."""
        env = os.environ if env is None else env
        if env.get("GITHUB_ACTIONS") == "true":
            server = env.get("GITHUB_SERVER_URL", "https://github.com").rstrip("/")
            repository, run = env.get("GITHUB_REPOSITORY", ""), env.get("GITHUB_RUN_ID", "")
            return cls(
                deployment_id=f"{repository}#{run}" if repository and run else "",
                commit=env.get("GITHUB_SHA", ""),
                pipeline_url=f"{server}/{repository}/actions/runs/{run}" if repository and run else "",
                caller=env.get("GITHUB_ACTOR", ""),
            )
        if env.get("GITLAB_CI") == "true":
            project, pipeline = env.get("CI_PROJECT_PATH", ""), env.get("CI_PIPELINE_ID", "")
            return cls(
                deployment_id=f"{project}#{pipeline}" if project and pipeline else "",
                commit=env.get("CI_COMMIT_SHA", ""),
                pipeline_url=env.get("CI_PIPELINE_URL", ""),
                caller=env.get("GITLAB_USER_LOGIN", ""),
            )
        return cls()

    def over(self, defaults: Deployment) -> Deployment:
        """This context, with ``defaults`` where a field is empty."""
        return replace(
            defaults,
            **{name: value for name, value in vars(self).items() if value},
        )

    def to_proto(self) -> evaluation_pb2.DeploymentContext:
        return evaluation_pb2.DeploymentContext(
            deployment_id=self.deployment_id,
            commit=self.commit,
            pipeline_url=self.pipeline_url,
            caller=self.caller,
        )

    @classmethod
    def from_proto(
        cls, message: evaluation_pb2.DeploymentContext | evaluation_pb2.GateRequestRecord
    ) -> Deployment:
        return cls(message.deployment_id, message.commit, message.pipeline_url, message.caller)
