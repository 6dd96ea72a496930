"""Grammar files (YAML): loading, template syntax, expansion, and recogniser compilers."""
from assistant.grammar.loader import default_grammar_dir, load_grammar
from assistant.grammar.model import Grammar, GrammarError, LanguageGrammar

__all__ = ["Grammar", "GrammarError", "LanguageGrammar", "load_grammar", "default_grammar_dir"]
