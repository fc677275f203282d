/**
 * Password strength for the create-vault form: an estimate of guessing
 * entropy (character classes × length, minus what common patterns give
 * away), mapped to five levels. It advises; the engine only insists on 8
 * characters. A vault password protects data offline against unlimited
 * guessing (slowed by Argon2id), so "good" starts at about 60 bits.
 */
export interface Strength {
  /** 0 very weak … 4 strong. */
  score: 0 | 1 | 2 | 3 | 4;
  label: string;
  bits: number;
  hint: string;
}

const COMMON = ['password', 'passw0rd', 'qwerty', 'azerty', 'letmein', 'welcome', 'admin', 'iloveyou', 'monkey', 'dragon', 'secret', 'master', 'abc123', '123456', 'football', 'baseball', 'sunshine', 'princess', 'trustno1'];
const SEQUENCES = ['abcdefghijklmnopqrstuvwxyz', '0123456789', 'qwertyuiop', 'asdfghjkl', 'zxcvbnm'];

export function passwordStrength(password: string): Strength {
  if (password.length === 0) return { score: 0, label: 'Empty', bits: 0, hint: 'Choose a password of at least 8 characters.' };
  let pool = 0;
  if (/[a-z]/.test(password)) pool += 26;
  if (/[A-Z]/.test(password)) pool += 26;
  if (/[0-9]/.test(password)) pool += 10;
  if (/[^a-zA-Z0-9]/.test(password)) pool += 33;
  // Repeats and runs carry little information: count them as one character each.
  let effective = 0;
  const lower = password.toLowerCase();
  for (let i = 0; i < lower.length; i++) {
    const c = lower[i]!;
    const prev = lower[i - 1];
    if (prev === c) continue;
    if (prev !== undefined && SEQUENCES.some((s) => s.includes(prev + c))) continue;
    effective++;
  }
  let bits = effective * Math.log2(Math.max(pool, 2));
  let hint = '';
  if (COMMON.some((w) => lower.includes(w))) {
    bits = Math.min(bits, 20);
    hint = 'It contains a very common password.';
  }
  const words = password.trim().split(/[\s\-_.]+/).filter((w) => w.length >= 3);
  if (words.length >= 4) bits = Math.max(bits, words.length * 13);
  const score = (bits < 28 ? 0 : bits < 40 ? 1 : bits < 60 ? 2 : bits < 80 ? 3 : 4) as Strength['score'];
  const labels = ['Very weak', 'Weak', 'Fair', 'Good', 'Strong'] as const;
  if (!hint) {
    if (password.length < 8) hint = 'Use at least 8 characters.';
    else if (score < 3) hint = 'Longer is better: a few unrelated words make a strong, memorable password.';
    else hint = 'Keep it somewhere safe: it cannot be recovered.';
  }
  return { score, label: labels[score], bits: Math.round(bits), hint };
}
