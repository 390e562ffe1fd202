"""Ready activity templates a facilitator can start from (and adapt before starting)."""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import lazy_gettext as _l

from community.facilitation.models.activities import AnswerVisibility, Dots


@dataclass(frozen=True)
class ActivityTemplate:
    key: str
    title: object  # lazy strings, translated when shown
    dots: Dots
    prompt: object
    instructions: object
    visibility: AnswerVisibility
    days_open: int = 7


TEMPLATES: tuple[ActivityTemplate, ...] = (
    ActivityTemplate(
        "values", _l("Values I won't compromise on"), Dots.SELF_AWARENESS,
        _l("Which three things matter so much to you that you would not take a job "
           "without them? For each, say why it matters and a moment when you noticed it."),
        _l("Think of work, study or volunteering you have enjoyed or disliked. Name your "
           "three values in a few words each (for example \"fairness\", \"time with my "
           "family\", \"learning something new\"). Others' answers appear once you have "
           "posted yours, so that you write your own first."),
        AnswerVisibility.AFTER_OWN_ANSWER),
    ActivityTemplate(
        "job_for_a_day", _l("A job I'd like to try for a day"), Dots.OPPORTUNITY_AWARENESS,
        _l("If you could try any job for one day, which would it be? What do you imagine "
           "doing from morning to evening, and what would you want to find out?"),
        _l("Be concrete: where would you be, who would you work with, what would you make "
           "or solve? Then write one question you would ask someone who does this job. "
           "Afterwards, look at others' choices: is there one you had not thought of?"),
        AnswerVisibility.OPEN),
    ActivityTemplate(
        "two_options", _l("Pros and cons of two options"), Dots.DECISION_LEARNING,
        _l("Describe two options you are choosing between (a course, a job, staying or "
           "moving). List the pros and cons of each, and what you would need to know "
           "to decide."),
        _l("Write the options as A and B. For each, give at least two pros and two cons, "
           "and mark the one point that weighs most for you. Answers stay hidden until "
           "the activity closes, so that nobody is swayed by the first answers."),
        AnswerVisibility.AFTER_CLOSE),
    ActivityTemplate(
        "next_step", _l("My next step and who can help"), Dots.TRANSITION_LEARNING,
        _l("What is one small step you will take in the next two weeks, and who could "
           "help you take it?"),
        _l("Make the step small enough to do this fortnight (a phone call, an application, "
           "a visit). Name a person or service who could help. Later, reply to your own "
           "answer to tell the group how it went."),
        AnswerVisibility.OPEN, days_open=14),
    ActivityTemplate(
        "strengths", _l("Strengths others see in me"), Dots.SELF_AWARENESS,
        _l("Ask two people who know you what they think you are good at. What did they "
           "say, and did anything surprise you?"),
        _l("Friends, family, teachers or colleagues all count. Write their words as close "
           "as you can, then one sentence on what you make of them."),
        AnswerVisibility.AFTER_OWN_ANSWER, days_open=14),
    ActivityTemplate(
        "labour_market", _l("Where the jobs are"), Dots.OPPORTUNITY_AWARENESS,
        _l("Find one fact about demand for a job or a field you are interested in (from "
           "the resource library or a public employment service). What does it tell you?"),
        _l("Give the source and the date of the figure. Say whether it changes what you "
           "think about that job."),
        AnswerVisibility.OPEN),
)


def get_template(key: str | None) -> ActivityTemplate | None:
    return next((t for t in TEMPLATES if t.key == key), None)


def template_view(template: ActivityTemplate) -> dict[str, object]:
    return {"key": template.key, "title": str(template.title), "dots": template.dots.value,
            "prompt": str(template.prompt), "instructions": str(template.instructions),
            "visibility": template.visibility.value, "days_open": template.days_open}
