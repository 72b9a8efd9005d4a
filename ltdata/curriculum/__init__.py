"""Curricula: staged, ordered and mixed training data from one declarative recipe.

`recipe` binds the YAML, `plan` decides every stage's exact sample order, `build` makes the data and
writes the plan, `stats` shows each stage's budget before anything trains.
"""
from ltdata.curriculum.build import CurriculumPlan, build_curriculum, load_curriculum
from ltdata.curriculum.plan import StagePlan
from ltdata.curriculum.recipe import Curriculum, SourceSpec, StageSpec, is_curriculum

__all__ = ["Curriculum", "CurriculumPlan", "SourceSpec", "StagePlan", "StageSpec", "build_curriculum",
           "is_curriculum", "load_curriculum"]
