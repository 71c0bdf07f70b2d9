# exam-relay: one image for every role; compose.yaml picks the role with `command`.

FROM node:20-slim AS build
WORKDIR /app
COPY package.json package-lock.json tsconfig.json tsconfig.build.json ./
COPY bin ./bin
COPY scripts/build-ui.mjs ./scripts/
COPY src ./src
COPY topology ./topology
# Installs every dependency and runs `prepare`, which builds dist/.
RUN npm ci

FROM node:20-slim
ENV NODE_ENV=production
WORKDIR /app
COPY package.json package-lock.json ./
# Runtime dependencies only; --ignore-scripts skips `prepare` (dist/ comes from the build stage).
RUN npm ci --omit=dev --ignore-scripts && npm cache clean --force
COPY --from=build /app/dist ./dist
COPY bin ./bin
COPY topology ./topology
USER node
ENTRYPOINT ["node", "bin/exam-relay.js"]
