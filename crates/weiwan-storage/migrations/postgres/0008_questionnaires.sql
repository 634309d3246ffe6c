-- Questionnaires 智能问卷: definitions (JSON of weiwan-decision's Questionnaire), attached to
-- campaigns by their plan; the answers are recorded with the task outcome they came with.
CREATE TABLE questionnaires (
    questionnaire_id TEXT PRIMARY KEY NOT NULL,
    definition TEXT NOT NULL,
    created_by TEXT NOT NULL,
    created_at TEXT NOT NULL
);

-- The answers given on a contact, by question id (JSON); NULL when none were asked.
ALTER TABLE task_outcomes ADD COLUMN questionnaire_id TEXT REFERENCES questionnaires (questionnaire_id);
ALTER TABLE task_outcomes ADD COLUMN answers TEXT;
