"""Jira's own column headers, status categories and default statuses in the
UI languages the preset reads (English, Spanish, German, French, Portuguese);
docs/presets.md lists the public source of each."""

from __future__ import annotations

from cxaudit.rules.layouts import merged, states

# Jira's own column headers, by UI language (docs/presets.md lists the source of each).
JIRA_COLUMNS = merged(
    {  # English
        "case_id": ("Issue key", "Work item key"),
        "subject": "Summary",
        "status": "Status",
        "priority": "Priority",
        "issue_type": ("Issue Type", "Work type"),
        "resolution": "Resolution",
        "opened_at": "Created",
        "updated_at": "Updated",
        "closed_at": "Resolved",
        "status_category": "Status Category",
        "reporter_id": "Reporter Id",
    },
    {  # Spanish
        "case_id": "Clave de incidencia",
        "subject": "Resumen",
        "status": "Estado",
        "priority": "Prioridad",
        "issue_type": "Tipo de Incidencia",
        "resolution": "Resolución",
        "opened_at": "Creada",
        "updated_at": "Actualizada",
        "closed_at": "Resuelta",
        "status_category": "Categoría de estado",
        "reporter_id": "ID del informador",
    },
    {  # German
        "case_id": "Vorgangsschlüssel",
        "subject": "Zusammenfassung",
        "priority": "Priorität",
        "issue_type": "Vorgangstyp",
        "resolution": "Lösung",
        "opened_at": "Erstellt",
        "updated_at": "Aktualisiert",
        "closed_at": "Erledigt",
        "status_category": "Statuskategorie",
        "reporter_id": ("ID des Autors", "Autor-ID"),
    },
    {  # French
        "case_id": "Clé de ticket",
        "subject": "Résumé",
        "status": "État",
        "priority": "Priorité",
        "issue_type": "Type de ticket",
        "resolution": "Résolution",
        "opened_at": "Création",
        "updated_at": "Mise à jour",
        "closed_at": ("Résolue", "Résolu"),
        "status_category": "Catégorie d'état",
        "reporter_id": "ID de rapporteur",
    },
    {  # Portuguese (Brazil)
        "case_id": "Chave da item",
        "subject": "Resumo",
        "priority": "Prioridade",
        "issue_type": "Tipo de item",
        "resolution": "Resolução",
        "opened_at": "Criado",
        "updated_at": ("Atualizado(a)", "Atualizado"),
        "closed_at": "Resolvido",
        "status_category": "Categoria do status",
        "reporter_id": "ID do relator",
    },
)


# Jira's status categories, by UI language: every status, custom ones
# included, belongs to one (to do, in progress, done).
JIRA_CATEGORIES = states(
    [
        "to do",
        "in progress",
        "por hacer",
        "en curso",
        "zu erledigen",
        "in arbeit",
        "à faire",
        "en cours",
        "itens pendentes",
        "em andamento",
    ],
    ["done", "listo", "hecho", "fertig", "terminé", "terminé(e)", "itens concluídos", "concluído"],
)


# Jira's default workflow statuses, by UI language (Cloud translates them;
# priorities stay English). Custom statuses are reported, not guessed.
JIRA_STATES = states(
    [
        # English, incl. Jira Service Management queues
        "open",
        "to do",
        "in progress",
        "reopened",
        "waiting for support",
        "waiting for customer",
        "pending",
        "escalated",
        "work in progress",
        # Spanish
        "abierta",
        "abierto",
        "tareas por hacer",
        "en curso",
        "reabierta",
        # German
        "offen",
        "zu erledigen",
        "in arbeit",
        "wieder geöffnet",
        # French
        "ouvert(e)",
        "ouvert",
        "ouverte",
        "à faire",
        "en cours",
        "revue en cours",
        "réouvert(e)",
        # Portuguese
        "aberto",
        "aberta",
        "itens pendentes",
        "a fazer",
        "em andamento",
        "reaberto",
    ],
    [
        # English
        "resolved",
        "closed",
        "done",
        "canceled",
        "cancelled",
        # Spanish
        "resuelta",
        "resuelto",
        "cerrada",
        "cerrado",
        "finalizada",
        "listo",
        "completado",
        "completada",
        # German
        "erledigt",
        "gelöst",
        "geschlossen",
        "fertig",
        # French
        "terminé(e)",
        "terminé",
        "résolu(e)",
        "résolu",
        "fermé(e)",
        "fermé",
        # Portuguese
        "concluído",
        "concluída",
        "resolvido",
        "fechado",
        "fechada",
    ],
)
