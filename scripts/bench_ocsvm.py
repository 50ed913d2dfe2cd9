"""Side-by-side OCSVM benchmark: oneclass vs scikit-learn OneClassSVM, same data, same run.

Data: the 4-component Gaussian mixture of shared/fixtures/ocsvm (numpy default_rng(0); centres
~ N(0, 3²I), component stds 1, .5, 1.5, .8), d = 32; test = 10,000 further rows. Both fit with
rbf, nu = 0.1, gamma = "scale", tol = 1e-3, shrinking, 200 MB cache. Times are the fit call
alone (oneclass reports its solver time, excluding file reading) and the predict call alone.
"""
import argparse, json, os, re, subprocess, sys, tempfile, time
import numpy as np
from sklearn.svm import OneClassSVM

def mixture(n, d, seed=0):
    rng = np.random.default_rng(seed)
    centres = rng.normal(0, 3, size=(4, d))
    stds = np.array([1, .5, 1.5, .8])
    comp = rng.integers(0, 4, size=n)
    return centres[comp] + stds[comp, None] * rng.normal(size=(n, d))

def run(cmd):
    out = subprocess.run(cmd, capture_output=True, text=True)
    if out.returncode != 0:
        sys.exit(f"{' '.join(cmd)} failed:\n{out.stderr}")
    return out.stdout

def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--oneclass", required=True)
    ap.add_argument("--sizes", default="2000,10000,20000,40000")
    ap.add_argument("--d", type=int, default=32)
    ap.add_argument("--memory-n", type=int, default=100000)
    ap.add_argument("--repeats", type=int, default=1)
    a = ap.parse_args()
    tmp = tempfile.mkdtemp(prefix="ocsvm-bench-")
    rows = []
    for n in [int(s) for s in a.sizes.split(",")]:
        X = mixture(n + 10000, a.d)
        Xtr, Xte = X[:n], X[n:]
        tr, te = os.path.join(tmp, f"train{n}.npy"), os.path.join(tmp, f"test{n}.npy")
        np.save(tr, Xtr); np.save(te, Xte)
        best = {}
        for _ in range(a.repeats):
            t = time.perf_counter(); sk = OneClassSVM(kernel="rbf", nu=0.1, gamma="scale", tol=1e-3).fit(Xtr); sk_fit = time.perf_counter() - t
            t = time.perf_counter(); sk_dec = sk.decision_function(Xte); sk_pred = time.perf_counter() - t
            model = os.path.join(tmp, f"m{n}.json"); scores = os.path.join(tmp, f"s{n}.npy")
            out = run([a.oneclass, "fit", "ocsvm", "--train", tr, "--nu", "0.1", "--kernel", "rbf", "--gamma", "scale", "--tol", "1e-3", "--model", model])
            oc_fit = float(re.search(r"seconds = ([0-9.]+)", out).group(1))
            out = run([a.oneclass, "score", "--model", model, "--input", te, "--output", scores])
            oc_pred = float(re.search(r"in ([0-9.]+) s", out).group(1))
            for k, v in dict(sk_fit=sk_fit, sk_pred=sk_pred, oc_fit=oc_fit, oc_pred=oc_pred).items():
                best[k] = min(best.get(k, 1e99), v)
        oc_dec = -np.load(scores)
        agree = float(np.mean(np.sign(oc_dec) == np.sign(sk_dec)))
        diff = float(np.max(np.abs(oc_dec - sk_dec)) / max(1.0, abs(sk.offset_[0])))
        rows.append(dict(n=n, d=a.d, sk_fit=best["sk_fit"], oc_fit=best["oc_fit"], fit_speedup=best["sk_fit"] / best["oc_fit"],
                         sk_pred=best["sk_pred"], oc_pred=best["oc_pred"], pred_speedup=best["sk_pred"] / best["oc_pred"],
                         n_sv_sk=int(len(sk.support_)), sign_agreement=agree, max_rel_diff=diff))
        print(json.dumps(rows[-1]), file=sys.stderr)
    mem = None
    if a.memory_n:
        X = mixture(a.memory_n, a.d)
        tr = os.path.join(tmp, "train_mem.npy"); np.save(tr, X)
        out = subprocess.run(["/usr/bin/time", "-v", a.oneclass, "fit", "ocsvm", "--train", tr, "--nu", "0.1", "--gamma", "scale", "--model", os.path.join(tmp, "mem.json")], capture_output=True, text=True)
        if out.returncode == 0:
            rss = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", out.stderr).group(1)) / 1024
            secs = float(re.search(r"seconds = ([0-9.]+)", out.stdout).group(1))
            mem = dict(n=a.memory_n, peak_mb=rss, fit_seconds=secs)
    print(f"\nOCSVM fit/predict, rbf, nu = 0.1, gamma = scale, tol = 1e-3, d = {a.d}, predict on 10,000 rows; {os.cpu_count()} cores\n")
    print("| n | scikit-learn fit (s) | oneclass fit (s) | fit speed-up | scikit-learn predict (s) | oneclass predict (s) | predict speed-up | #SV | sign agreement | max |Δf|/max(1,ρ) |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        print(f"| {r['n']} | {r['sk_fit']:.3f} | {r['oc_fit']:.3f} | {r['fit_speedup']:.2f}× | {r['sk_pred']:.3f} | {r['oc_pred']:.3f} | {r['pred_speedup']:.2f}× | {r['n_sv_sk']} | {100*r['sign_agreement']:.2f} % | {r['max_rel_diff']:.1e} |")
    if mem:
        print(f"\nn = {mem['n']} × {a.d}: oneclass fit {mem['fit_seconds']:.2f} s, peak resident memory {mem['peak_mb']:.0f} MB (limit 1024 MB)")

if __name__ == "__main__":
    main()
