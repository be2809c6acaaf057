// Preact + htm without a build step (ARCHITECTURE §7): every module imports its view helpers from here.
import { h, render, Fragment } from "/vendor/preact.js";
import { useState, useEffect, useRef, useMemo, useCallback, useReducer } from "/vendor/hooks.js";
import htm from "/vendor/htm.js";

export const html = htm.bind(h);
export { h, render, Fragment, useState, useEffect, useRef, useMemo, useCallback, useReducer };
