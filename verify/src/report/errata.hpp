#pragma once
// What a case says about its note's claim, in words, from the verdicts of its forms (private to src/report).
// Forms are told apart by their role (form_latex.hpp: from the case file's forms, else by name): the note's formula
// as written (or a step of its derivation), a correction, or a further reading checked alongside. A case without any
// as_written form states the note's claims directly in all its non-corrected forms.
#include <string>
#include <vector>

#include "verify/runner.hpp"

namespace verify::report {

enum class Standing { holds, wrong, undecided };

struct CaseAccount {
  const CaseSpec* spec = nullptr;
  std::vector<const FormResult*> written, corrected, other;  // real (non-mutant) forms, in run order
  std::vector<const CheckResult*> checks;                    // real checks, in run order
  Standing standing = Standing::holds;
  std::string verdict;        // "Wrong as written; the corrected form holds."
  std::string phrase;         // the same as a clause, for lists: "wrong as written; the corrected form holds"
  std::string size;           // the measured size of the error (or the precision of a holding claim), a sentence
  std::string corrected_form; // the correction to show beside the statement ("" if none)
};

// checks and forms: all of the run's; the case's own are picked out.
CaseAccount account_case(const CaseSpec& c, const std::vector<CheckResult>& checks, const std::vector<FormResult>& forms);

// Statements of a note checked by several cases (scenarios) are one claim of the errata.
struct ClaimEntry {
  std::string note, section, statement;
  int line = 0;
  std::vector<CaseAccount> cases;  // in the order of the run
  Standing standing = Standing::holds;
  std::string verdict;  // over all its cases
};

// Notes in file-name order, each with its claims in the note's order (by line; by section where no line is given).
struct NoteErrata {
  std::string note;
  std::vector<ClaimEntry> claims;
  std::size_t count(Standing s) const;
};
std::vector<NoteErrata> errata_by_note(const RunResult& r);

std::string standing_words(Standing s);  // "holds", "wrong as written", "undecided"

}  // namespace verify::report
