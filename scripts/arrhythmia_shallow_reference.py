import numpy as np, scipy.io as sio
from sklearn.model_selection import train_test_split
from sklearn.ensemble import IsolationForest
from sklearn.preprocessing import MinMaxScaler, StandardScaler
from sklearn.decomposition import PCA
from sklearn.metrics import f1_score, roc_auc_score
m=sio.loadmat('/work/shared/data/odds/arrhythmia.mat'); X=m['X'].astype(float); y=m['y'].ravel().astype(int)
def f1top(s,y):
    k=int(round(0.15*len(s))); thr=np.sort(s)[::-1][k-1]; p=(s>=thr).astype(int); return f1_score(y,p)
res={'if':[],'pca':[],'knn':[]}
for seed in range(10):
    Xr,Xte,yr,yte=train_test_split(X,y,test_size=0.2,stratify=y,random_state=seed)
    Xtr,Xv,ytr,yv=train_test_split(Xr,yr,test_size=0.3/0.8,stratify=yr,random_state=seed)
    Xtr=Xtr[ytr==0]
    sc=StandardScaler().fit(Xtr); A=sc.transform(Xtr); T=sc.transform(Xte)
    s=-IsolationForest(random_state=seed).fit(Xtr).score_samples(Xte); res['if'].append((f1top(s,yte),roc_auc_score(yte,s)))
    p=PCA(0.9).fit(A); r=((T-p.inverse_transform(p.transform(T)))**2).sum(1); res['pca'].append((f1top(r,yte),roc_auc_score(yte,r)))
    from sklearn.neighbors import NearestNeighbors
    nn=NearestNeighbors(n_neighbors=5).fit(A); d=nn.kneighbors(T)[0].mean(1); res['knn'].append((f1top(d,yte),roc_auc_score(yte,d)))
for k,v in res.items(): v=np.array(v)*100; print(k, v.mean(0).round(1), v.std(0).round(1))
