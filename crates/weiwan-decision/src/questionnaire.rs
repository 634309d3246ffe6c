//! Questionnaires 智能问卷: the questions an agent asks on a campaign's contact (single choice,
//! multiple choice, open answer), and the check of the answers recorded with the outcome.
//!
//! A questionnaire is defined once (TOML or JSON), checked whole — every problem named —
//! cloned to make a variant, and attached to campaigns by their plan (`questionnaire`).

use std::collections::{BTreeMap, HashSet};

use serde::{Deserialize, Serialize};

/// Longest open answer, in characters.
pub const MAX_OPEN_ANSWER: usize = 500;

/// A questionnaire.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Questionnaire {
    /// 1 to 64 of `a-z`, `0-9`, `_` and `-`.
    pub id: String,
    pub title_zh: String,
    pub title_en: String,
    pub questions: Vec<Question>,
}

/// One question.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Question {
    /// Unique within the questionnaire; same characters as ids.
    pub id: String,
    pub text_zh: String,
    pub text_en: String,
    pub kind: QuestionKind,
    /// The choices of a single or multiple choice question (at least two); none for open ones.
    #[serde(default)]
    pub choices: Vec<Choice>,
    /// Must be answered whenever the customer was reached.
    #[serde(default)]
    pub required: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum QuestionKind {
    /// 单选
    Single,
    /// 多选
    Multiple,
    /// 开放题
    Open,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Choice {
    pub id: String,
    pub label_zh: String,
    pub label_en: String,
}

/// An answer: a list of choice ids, or text (an open answer, or the one choice id of a single
/// choice question).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Answer {
    Choices(Vec<String>),
    Text(String),
}

/// Answers by question id.
pub type Answers = BTreeMap<String, Answer>;

fn valid_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= 64
        && id.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '-')
}

impl Questionnaire {
    /// Every problem of the definition, each naming the question and field; empty when sound.
    pub fn problems(&self) -> Vec<String> {
        let mut problems = Vec::new();
        if !valid_id(&self.id) {
            problems.push(format!("id: {:?} must be 1 to 64 of a-z, 0-9, _ and -", self.id));
        }
        if self.title_zh.trim().is_empty() || self.title_en.trim().is_empty() {
            problems.push("title_zh, title_en: both are required".to_owned());
        }
        if self.questions.is_empty() || self.questions.len() > 50 {
            problems.push("questions: 1 to 50".to_owned());
        }
        let mut seen = HashSet::new();
        for question in &self.questions {
            let at = format!("question {}", question.id);
            if !valid_id(&question.id) {
                problems.push(format!("{at}: id must be 1 to 64 of a-z, 0-9, _ and -"));
            }
            if !seen.insert(question.id.as_str()) {
                problems.push(format!("{at}: the id is used twice"));
            }
            if question.text_zh.trim().is_empty() || question.text_en.trim().is_empty() {
                problems.push(format!("{at}: text_zh and text_en are required"));
            }
            match question.kind {
                QuestionKind::Open if !question.choices.is_empty() => {
                    problems.push(format!("{at}: an open question has no choices"));
                }
                QuestionKind::Single | QuestionKind::Multiple if question.choices.len() < 2 => {
                    problems.push(format!("{at}: a choice question needs at least 2 choices"));
                }
                _ => {}
            }
            let mut choices = HashSet::new();
            for choice in &question.choices {
                if !valid_id(&choice.id) || !choices.insert(choice.id.as_str()) {
                    problems.push(format!("{at}: choice {:?} is not a valid, unique id", choice.id));
                }
                if choice.label_zh.trim().is_empty() || choice.label_en.trim().is_empty() {
                    problems.push(format!("{at}: choice {}: label_zh and label_en are required", choice.id));
                }
            }
        }
        problems
    }

    /// Checks answers against the questions. `reached`: the customer was reached (required
    /// questions must then be answered). Every problem is named.
    pub fn check_answers(&self, answers: &Answers, reached: bool) -> Result<(), Vec<String>> {
        let mut problems = Vec::new();
        for id in answers.keys() {
            if !self.questions.iter().any(|q| &q.id == id) {
                problems.push(format!("answers: {id:?} is no question of questionnaire {}", self.id));
            }
        }
        for question in &self.questions {
            let at = format!("answers: question {}", question.id);
            let Some(answer) = answers.get(&question.id) else {
                if question.required && reached {
                    problems.push(format!("{at}: required"));
                }
                continue;
            };
            match (question.kind, answer) {
                (QuestionKind::Open, Answer::Text(text)) => {
                    if text.chars().count() > MAX_OPEN_ANSWER {
                        problems.push(format!("{at}: at most {MAX_OPEN_ANSWER} characters"));
                    }
                }
                (QuestionKind::Single, Answer::Choices(ids)) if ids.len() != 1 => {
                    problems.push(format!("{at}: exactly one choice"));
                }
                (QuestionKind::Single | QuestionKind::Multiple, Answer::Choices(ids)) => {
                    if ids.is_empty() {
                        problems.push(format!("{at}: at least one choice"));
                    }
                    let mut once = HashSet::new();
                    for id in ids {
                        if !question.choices.iter().any(|c| &c.id == id) {
                            problems.push(format!("{at}: {id:?} is not one of its choices"));
                        } else if !once.insert(id) {
                            problems.push(format!("{at}: {id:?} chosen twice"));
                        }
                    }
                }
                (QuestionKind::Single, Answer::Text(id)) => {
                    if !question.choices.iter().any(|c| &c.id == id) {
                        problems.push(format!("{at}: {id:?} is not one of its choices"));
                    }
                }
                (QuestionKind::Open, Answer::Choices(_)) => {
                    problems.push(format!("{at}: an open answer is text"))
                }
                (QuestionKind::Multiple, Answer::Text(_)) => {
                    problems.push(format!("{at}: a multiple choice answer is a list of choice ids"));
                }
            }
        }
        if problems.is_empty() { Ok(()) } else { Err(problems) }
    }

    /// A copy under a new id, to make a variant.
    pub fn cloned_as(&self, id: &str) -> Questionnaire {
        Questionnaire { id: id.to_owned(), ..self.clone() }
    }
}

/// The example questionnaire shipped with weiwan (`questionnaires/why-leave.toml`): why a
/// customer thinks of leaving (single choice, required), the services they use (multiple
/// choice), anything else (open).
pub const EXAMPLE: &str = include_str!("../questionnaires/why-leave.toml");

/// Reads a questionnaire from TOML and checks it.
pub fn parse_questionnaire(source: &str) -> Result<Questionnaire, Vec<String>> {
    let questionnaire: Questionnaire = toml::from_str(source).map_err(|e| vec![e.to_string()])?;
    let problems = questionnaire.problems();
    if problems.is_empty() { Ok(questionnaire) } else { Err(problems) }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SOURCE: &str = EXAMPLE;

    fn answers(pairs: &[(&str, Answer)]) -> Answers {
        pairs.iter().map(|(k, v)| ((*k).to_owned(), v.clone())).collect()
    }

    fn choices(ids: &[&str]) -> Answer {
        Answer::Choices(ids.iter().map(|s| (*s).to_owned()).collect())
    }

    #[test]
    fn a_sound_questionnaire_parses_and_a_broken_one_names_every_problem() {
        let q = parse_questionnaire(SOURCE).expect("sound");
        assert_eq!(q.questions.len(), 3);
        let broken = SOURCE.replace("id = \"services\"", "id = \"reason\"").replace(
            "kind = \"open\"",
            "kind = \"open\"\nchoices = [{ id = \"x\", label_zh = \"x\", label_en = \"x\" }]",
        );
        let problems = parse_questionnaire(&broken).expect_err("broken");
        assert_eq!(problems.len(), 2, "{problems:?}");
        assert!(problems[0].contains("question reason: the id is used twice"), "{problems:?}");
        assert!(problems[1].contains("question comment: an open question has no choices"), "{problems:?}");
        let typo =
            parse_questionnaire(&SOURCE.replace("kind = \"single\"", "kind = \"singel\"")).expect_err("typo");
        assert!(typo[0].contains("singel"), "{typo:?}");
    }

    #[test]
    fn answers_are_checked_against_the_questions() {
        let q = parse_questionnaire(SOURCE).expect("sound");
        let good = answers(&[
            ("reason", choices(&["price"])),
            ("services", choices(&["data", "voice"])),
            ("comment", Answer::Text("想要更多流量".into())),
        ]);
        assert_eq!(q.check_answers(&good, true), Ok(()));
        // Not reached: nothing is required.
        assert_eq!(q.check_answers(&Answers::new(), false), Ok(()));
        let bad = answers(&[
            ("reason", choices(&["price", "signal"])),
            ("services", choices(&["data", "sms", "data"])),
            ("comment", choices(&["x"])),
            ("age", Answer::Text("40".into())),
        ]);
        let problems = q.check_answers(&bad, true).expect_err("bad");
        assert_eq!(problems.len(), 5, "{problems:?}");
        for expected in [
            "\"age\" is no question",
            "exactly one choice",
            "\"sms\" is not one of its choices",
            "\"data\" chosen twice",
            "an open answer is text",
        ] {
            assert!(problems.iter().any(|p| p.contains(expected)), "{expected}: {problems:?}");
        }
        let missing =
            q.check_answers(&answers(&[("comment", Answer::Text("ok".into()))]), true).expect_err("missing");
        assert_eq!(missing, ["answers: question reason: required"]);
        assert_eq!(q.cloned_as("why-leave-2").id, "why-leave-2");
    }
}
