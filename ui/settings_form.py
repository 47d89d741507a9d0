"""The sidebar form that builds the one RunSettings every page trains with.

The settings live in `st.session_state["settings"]`, so they follow the user
from page to page; `core.settings.RunSettings.validate` judges them, and its
messages are shown as they are.
"""

from __future__ import annotations

import streamlit as st

from core.settings import MAX_BATCH_SIZE, MAX_EPOCHS, MAX_MAX_LEN, MIN_MAX_LEN, RunSettings, SettingsError

SETTINGS_KEY = "settings"


def current_settings() -> RunSettings:
    if SETTINGS_KEY not in st.session_state:
        st.session_state[SETTINGS_KEY] = RunSettings()
    return st.session_state[SETTINGS_KEY]


def _optional(value: int) -> int | None:
    return value or None  # 0 in a number box means "off"


def settings_sidebar() -> RunSettings:
    """Draw the form; on submit, validate and keep the new settings. Returns the settings in force."""
    settings = current_settings()
    with st.sidebar.form("settings_form"):
        st.markdown("**Training settings** (all pages)")
        epochs = st.number_input("Epochs", 1, MAX_EPOCHS, settings.epochs, key="set_epochs")
        batch_size = st.number_input("Batch size", 1, MAX_BATCH_SIZE, settings.batch_size, key="set_batch")
        max_len = st.number_input(
            "Tokens per newswire (max_len)", MIN_MAX_LEN, MAX_MAX_LEN, settings.max_len, step=10, key="set_max_len",
            help="Newswires are pre-padded with zeros or cut to this many tokens.",
        )
        learning_rate = st.number_input(
            "Learning rate (Nadam)", 1e-6, 1.0, settings.learning_rate, step=1e-4, format="%.5f", key="set_lr"
        )
        seed = st.number_input(
            "Seed", 0, 2**31 - 1, settings.seed, key="set_seed",
            help="Initial weights and batch order depend on the seed alone: same seed, same run.",
        )
        with st.expander("Method options"):
            halving = st.number_input(
                "train_on_batch: halve the learning rate at epoch (0 = never)", 0, MAX_EPOCHS,
                settings.lr_halving_epoch or 0, key="set_halving",
            )
            patience = st.number_input(
                "fit: EarlyStopping patience (0 = off)", 0, MAX_EPOCHS, settings.early_stopping_patience or 0,
                key="set_early", help="Stop when val_loss has not improved for this many epochs.",
            )
            plateau = st.number_input(
                "fit: ReduceLROnPlateau patience (0 = off)", 0, MAX_EPOCHS, settings.reduce_lr_patience or 0,
                key="set_plateau", help="Halve the learning rate when val_loss stalls for this many epochs.",
            )
            steps = st.number_input(
                "Steps per execution (speed)", 1, 256, settings.steps_per_execution, key="set_steps",
                help="Run several batches per compiled call: identical numbers, fewer Python round trips. "
                "The progress bar then moves in steps.",
            )
        submitted = st.form_submit_button("Apply settings", type="primary", key="apply_settings")
    if submitted:
        candidate = RunSettings(
            method=settings.method,
            epochs=int(epochs),
            batch_size=int(batch_size),
            max_len=int(max_len),
            learning_rate=float(learning_rate),
            seed=int(seed),
            lr_halving_epoch=_optional(int(halving)),
            early_stopping_patience=_optional(int(patience)),
            reduce_lr_patience=_optional(int(plateau)),
            steps_per_execution=int(steps),
        )
        try:
            st.session_state[SETTINGS_KEY] = candidate.validate()
            st.sidebar.success("Settings applied.")
        except SettingsError as error:
            for problem in error.problems:
                st.sidebar.error(problem)
    if st.sidebar.button("Reset to the chapter's settings", key="reset_settings"):
        st.session_state[SETTINGS_KEY] = RunSettings()
        for key in [k for k in st.session_state if str(k).startswith("set_")]:
            del st.session_state[key]
        st.rerun()
    return current_settings()
