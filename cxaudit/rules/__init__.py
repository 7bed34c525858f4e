"""The rules model: load a rules file, validate every part of it, compile it.

Two layers. Pydantic checks the *shape* (known keys, types, required fields)
and the compile step checks the *meaning* (fields exist in their source,
operators are known, regexes compile, references resolve, templates only
use fields they can fill). Every problem carries the file, line, rule id and
key, because a rule that silently matches nothing is the worst failure this
tool can have: the campaign goes out to the people it should have spared.

Where each part lives:

- :mod:`~cxaudit.rules.load`: ``load_rules`` and ``compile_rules``, the entry points
- :mod:`~cxaudit.rules.shape`: the pydantic specs of the file and their problems
- :mod:`~cxaudit.rules.model`: the compiled dataclasses (``RuleSet``, ``Rule``, ...)
- :mod:`~cxaudit.rules.tables`: ``recipients:`` and ``sources:`` compiled
- :mod:`~cxaudit.rules.where`: ``where:`` parsed into conditions
- :mod:`~cxaudit.rules.templates`: ``reason:`` templates checked
- :mod:`~cxaudit.rules.problems`: how a problem names its place

The rest of cxaudit imports from ``cxaudit.rules`` itself.
"""

from cxaudit.rules.load import compile_rules, load_rules
from cxaudit.rules.model import (
    CAMPAIGN_FIELDS,
    CHANNELS,
    DATE_OPS,
    DAYS_OPS,
    FLAGS,
    INSTANT_OPS,
    LIST_OPS,
    NUMBER_OPS,
    OPERATORS,
    RECIPIENTS,
    TEXT_OPS,
    TYPES,
    AnyOf,
    Campaign,
    Condition,
    Node,
    PendingColumn,
    Ref,
    Rule,
    RuleSet,
    TableConfig,
    Vocabulary,
    node_uses_recipient,
)
from cxaudit.rules.shape import (
    CampaignSpec,
    DeriveSpec,
    RulesFileSpec,
    RuleSpec,
    SourceSpec,
    TableSpec,
    VocabularySpec,
)

__all__ = [
    "CAMPAIGN_FIELDS",
    "CHANNELS",
    "DATE_OPS",
    "DAYS_OPS",
    "FLAGS",
    "INSTANT_OPS",
    "LIST_OPS",
    "NUMBER_OPS",
    "OPERATORS",
    "RECIPIENTS",
    "TEXT_OPS",
    "TYPES",
    "AnyOf",
    "Campaign",
    "CampaignSpec",
    "Condition",
    "DeriveSpec",
    "Node",
    "PendingColumn",
    "Ref",
    "Rule",
    "RuleSet",
    "RuleSpec",
    "RulesFileSpec",
    "SourceSpec",
    "TableConfig",
    "TableSpec",
    "Vocabulary",
    "VocabularySpec",
    "compile_rules",
    "load_rules",
    "node_uses_recipient",
]
